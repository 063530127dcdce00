@echo off
echo %GREETING% (running as %USERNAME% in %APP_HOME%)
type "%APP_HOME%\config\settings.json"

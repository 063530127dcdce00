@echo off
rem multi-version sample: prints which Windows build the image was made for.
echo app %APP_VERSION% built for Windows %OS_VERSION%
type nul > C:\app\healthy

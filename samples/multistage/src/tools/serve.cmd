@echo off
rem Prints the page; a real image would start a web server here.
type "%SITE_ROOT%\index.html"

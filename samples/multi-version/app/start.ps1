# Started by CMD through the SHELL (powershell -Command).
New-Item -ItemType File -Force C:\app\healthy | Out-Null
Write-Host "app $env:APP_VERSION on Windows build $env:OS_VERSION"
while ($true) { Start-Sleep -Seconds 3600 }

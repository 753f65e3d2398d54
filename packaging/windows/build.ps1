<#
.SYNOPSIS
    Builds the Windows installer: dist\tochka-readiness-<version>-setup.exe

.DESCRIPTION
    On a Windows 10/11 x64 machine with Python 3.11 (python.org, with the "py" launcher) and
    Inno Setup 6.3 or later, from the repository folder:

        powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1

    1. makes build\win-venv from requirements-dev.lock (pip --require-hashes: every package,
       PyInstaller included, pinned with hashes; the dev lock is the runtime lock plus tools);
    2. runs PyInstaller with packaging\tochka.spec (the same spec as on Linux) into
       dist\tochka-readiness\ (tochka-readiness.exe windowed, tochka-readiness-cli.exe console);
    3. runs dist\tochka-readiness\tochka-readiness-cli.exe --self-test (must pass), then the
       window on demo data for five seconds (it must show and keep running);
    4. compiles packaging\windows\tochka.iss with ISCC, version taken from pyproject.toml.

    This file is ASCII on purpose: Windows PowerShell 5.1 reads a script without a BOM in the
    ANSI code page.

.PARAMETER Python
    Path to a Python 3.11 python.exe that creates the venv (default: the launcher, py -3.11).

.PARAMETER Iscc
    Path to ISCC.exe (default: found in the usual Inno Setup 6 folders or on PATH).

.PARAMETER SkipInstaller
    Stop after the bundle and its self-test (no Inno Setup needed).
#>
[CmdletBinding()]
param(
    [string]$Python = "",
    [string]$Iscc = "",
    [switch]$SkipInstaller
)

$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest

function Invoke-Checked {
    param([string]$Exe, [string[]]$Arguments)
    Write-Host ">> $Exe $($Arguments -join ' ')"
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Exe exited with $LASTEXITCODE" }
}

$Root = (Resolve-Path (Join-Path $PSScriptRoot "..\..")).Path
Set-Location $Root

$match = Select-String -Path (Join-Path $Root "pyproject.toml") -Pattern '^version\s*=\s*"([^"]+)"' |
    Select-Object -First 1
if (-not $match) { throw "no version in pyproject.toml" }
$Version = $match.Matches[0].Groups[1].Value
Write-Host "tochka-readiness $Version"

# 1. the build venv, from the lock file only
$Venv = Join-Path $Root "build\win-venv"
$VenvPython = Join-Path $Venv "Scripts\python.exe"
if (-not (Test-Path $VenvPython)) {
    if ($Python) {
        Invoke-Checked $Python @("-m", "venv", $Venv)
    } else {
        Invoke-Checked "py" @("-3.11", "-m", "venv", $Venv)
    }
}
Invoke-Checked $VenvPython @("-m", "pip", "install", "--quiet", "--upgrade", "pip>=23.2")
Invoke-Checked $VenvPython @("-m", "pip", "install", "--quiet", "--require-hashes", "-r",
    (Join-Path $Root "requirements-dev.lock"))

# 2. the bundle (the .ico is checked in: packaging\icons, made by packaging\make_icons.py)
Invoke-Checked $VenvPython @("-m", "PyInstaller", "--noconfirm", "--clean",
    "--distpath", (Join-Path $Root "dist"),
    "--workpath", (Join-Path $Root "build\pyinstaller"),
    (Join-Path $Root "packaging\tochka.spec"))
$Bundle = Join-Path $Root "dist\tochka-readiness"

# 3. the bundle works on this machine
$env:QT_QPA_PLATFORM = "offscreen"
Invoke-Checked (Join-Path $Bundle "tochka-readiness-cli.exe") @("--self-test")
Remove-Item Env:\QT_QPA_PLATFORM
# the window itself (the self-test does not load Qt's plugins): demo data, five seconds
$Demo = Join-Path $Root "build\win-demo-data"
if (Test-Path $Demo) { Remove-Item -Recurse -Force $Demo }
Invoke-Checked (Join-Path $Bundle "tochka-readiness-cli.exe") @("--data-dir", $Demo, "demo", "--photos", "4")
$gui = Start-Process -FilePath (Join-Path $Bundle "tochka-readiness.exe") -ArgumentList @("--data-dir", "`"$Demo`"") -PassThru
Start-Sleep -Seconds 5
$gui.Refresh()
if ($gui.HasExited) { throw "tochka-readiness.exe exited with $($gui.ExitCode) within 5 s" }
if (-not $gui.MainWindowTitle) { throw "tochka-readiness.exe shows no window after 5 s" }
Write-Host "window: $($gui.MainWindowTitle)"
Stop-Process -Id $gui.Id
$size = (Get-ChildItem $Bundle -Recurse -File | Measure-Object -Property Length -Sum).Sum
Write-Host ("bundle: {0:N1} MB in {1}" -f ($size / 1MB), $Bundle)

if ($SkipInstaller) { exit 0 }

# 4. the installer
if (-not $Iscc) {
    $candidates = @(
        (Join-Path ${env:ProgramFiles(x86)} "Inno Setup 6\ISCC.exe"),
        (Join-Path $env:ProgramFiles "Inno Setup 6\ISCC.exe"),
        (Join-Path $env:LOCALAPPDATA "Programs\Inno Setup 6\ISCC.exe")
    )
    $Iscc = $candidates | Where-Object { $_ -and (Test-Path $_) } | Select-Object -First 1
    if (-not $Iscc) {
        $onPath = Get-Command "ISCC.exe" -ErrorAction SilentlyContinue
        if ($onPath) { $Iscc = $onPath.Source }
    }
    if (-not $Iscc) { throw "ISCC.exe not found: install Inno Setup 6.3+ or pass -Iscc PATH" }
}
Invoke-Checked $Iscc @("/Qp", "/DAppVersion=$Version", "/DSourceDir=$Bundle",
    (Join-Path $Root "packaging\windows\tochka.iss"))
$Setup = Join-Path $Root "dist\tochka-readiness-$Version-setup.exe"
if (-not (Test-Path $Setup)) { throw "ISCC did not make $Setup" }
Write-Host ("installer: {0} ({1:N1} MB)" -f $Setup, ((Get-Item $Setup).Length / 1MB))

; Inno Setup 6 script: the per-user installer of «Точка роста — готовность центра».
; Built by packaging\windows\build.ps1 after PyInstaller, which passes the version:
;     ISCC.exe /DAppVersion=0.1.0 packaging\windows\tochka.iss
; Installs without administrator rights into %LOCALAPPDATA%\Programs\tochka-readiness,
; Start menu shortcut, optional desktop shortcut. The user's data (%APPDATA%\tochka-readiness)
; is never installed, changed or removed by the installer or the uninstaller.

#ifndef AppVersion
  #error Pass the version from pyproject.toml: ISCC /DAppVersion=X.Y.Z (build.ps1 does)
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\tochka-readiness"
#endif
#define AppName "Точка роста — готовность центра"
#define AppShortName "tochka-readiness"
#define AppExe "tochka-readiness.exe"

[Setup]
; Fixed forever: Windows recognises upgrades and the uninstaller by this id
AppId={{2553A763-D95E-4A6E-B1BD-B927FD1FB899}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
VersionInfoVersion={#AppVersion}
VersionInfoProductName={#AppName}
VersionInfoDescription=Установка программы «{#AppName}»
; per user, no UAC prompt: school PCs often have no administrator at hand
PrivilegesRequired=lowest
DefaultDirName={localappdata}\Programs\{#AppShortName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
DisableDirPage=auto
UsePreviousAppDir=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\dist
OutputBaseFilename={#AppShortName}-{#AppVersion}-setup
SetupIconFile=..\icons\tochka.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
ShowLanguageDialog=no
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "ru"; MessagesFile: "compiler:Languages\Russian.isl"

[CustomMessages]
ru.DataKept=Программа удалена. Ваши данные — база, фото и документы, ключ подписи, пакеты отчётов и копии базы — остались в папке:%n%n%1%n%nПри повторной установке программа откроет их. Если они больше не нужны, удалите эту папку вручную.

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; the previous version's bundle: files that a new version no longer has must not linger
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#StringChange(AppName, '&', '&&')}}"; Flags: nowait postinstall skipifsilent

; No [UninstallDelete] for {userappdata}: the uninstaller removes only what [Files] installed.

[Code]
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and not UninstallSilent then
    MsgBox(FmtMessage(CustomMessage('DataKept'), [ExpandConstant('{userappdata}\{#AppShortName}')]),
      mbInformation, MB_OK);
end;

"""Fonts and translations for the whole UI, registered once."""

from __future__ import annotations

from importlib import resources

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

UI_FONT_FAMILY = "PT Sans"
UI_FONT_FILES = (
    "PTSans-Regular.ttf",
    "PTSans-Bold.ttf",
    "PTSans-Italic.ttf",
    "PTSans-BoldItalic.ttf",
)


def register_fonts(app: QApplication, point_size: int = 11) -> str:
    """Make the bundled PT Sans the application font, so every machine shows the same text."""
    fonts = resources.files("resources") / "fonts"
    family = ""
    for name in UI_FONT_FILES:
        font_id = QFontDatabase.addApplicationFont(str(fonts / name))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        family = family or (families[0] if families else "")
    if family:
        font = QFont(family, point_size)
        font.setStyleStrategy(QFont.StyleStrategy.PreferAntialias)
        app.setFont(font)
    return family


def install_russian(app: QApplication) -> None:
    """Russian standard dialogs and buttons (qtbase_ru) and a Russian locale for dates."""
    QLocale.setDefault(QLocale(QLocale.Language.Russian, QLocale.Country.Russia))
    translator = QTranslator(app)
    path = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load(QLocale(QLocale.Language.Russian), "qtbase", "_", path):
        app.installTranslator(translator)

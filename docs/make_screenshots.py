"""Screenshots for the user guide in README.md, made by the program itself (not by hand): a demo
center in a temporary folder, the real main window at 1280×800, every page in turn.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_screenshots.py  (or: make screenshots)

Writes docs/images/*.png; run it again after changing a window."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "images"

PAGES = [
    (0, "01-svodka"),
    (1, "02-chek-list"),
    (2, "03-oborudovanie"),
    (3, "04-pomeshcheniya"),
    (4, "05-firmennyi-stil"),
    (5, "06-dorozhnaya-karta"),
    (6, "07-pokazateli"),
    (7, "08-pechat"),
    (8, "09-otchet-v-region"),
]


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from core.demo import fill_demo
    from core.outbox import Outbox
    from core.paths import DataLayout
    from main import open_center
    from ui.app import build_main_window, make_application
    from ui.profile_form import FirstRunWizard

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tochka-screenshots-") as tmp:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        data = Path(tmp) / "data"
        center = open_center(data)
        checklist = center.checklist
        fill_demo(checklist, checklist.today(), photos=12, registers=center.registers)
        assert center.outbox_store is not None
        outbox = Outbox(center, center.outbox_store, DataLayout(data))
        first = outbox.make("2027-Q1", workers=1)
        outbox.write_to(first, Path(tmp))
        outbox.make("2027-Q2", workers=1)
        app = make_application(["tochka"])
        wizard = FirstRunWizard()
        wizard.resize(900, 640)
        wizard.show()
        wizard.next()  # the profile form, the page a director fills in
        app.processEvents()
        wizard.grab().save(str(OUT / "00-pervyi-zapusk.png"))
        wizard.close()
        window = build_main_window(center, data)
        window.resize(1280, 800)
        window.show()
        for number, name in PAGES:
            window.nav.setCurrentRow(number)
            for _ in range(20):  # pages fill in the background: let them finish
                app.processEvents()
                QApplication.processEvents()
            window._runner.wait_for_all(10_000)
            app.processEvents()
            window.grab().save(str(OUT / f"{name}.png"))
            print(f"  {name}.png")
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

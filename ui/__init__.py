"""PySide6 windows, views, item models and dialogs: the only package that imports Qt.
ui/messages.py is plain Python so the command line can share its wording without Qt."""

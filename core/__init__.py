"""Domain and use cases of the «Точка роста» readiness application.

Plain Python: this package imports neither Qt nor SQLAlchemy, nor storage/ or ui/.
"""

APP_NAME = "tochka-readiness"
APP_VERSION = "0.1.0"

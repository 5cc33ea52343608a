"""Create the database tables for the development configuration.

Running it twice is harmless: tables that exist are left as they are.
"""

from app import create_app
from app.cli import init_db
from config import DevelopmentConfig

if __name__ == "__main__":
    app = create_app(DevelopmentConfig)
    with app.app_context():
        init_db()
    print(f"Database ready: {app.config['SQLALCHEMY_DATABASE_URI']}")

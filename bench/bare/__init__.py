"""The baseline for bench/http_intake.py: a bare Django + DRF app that inserts one row with a
point per POST, on the same database server and under the same gunicorn settings as ours.

    DJANGO_SETTINGS_MODULE=bench.bare.settings DATABASE_URL=postgis://... \\
        gunicorn bench.bare.wsgi --workers 2 --threads 4

Its table (bare_barereport) is made by `manage.py migrate --run-syncdb` with these settings,
which bench/http_intake.py runs before it starts the app.
"""

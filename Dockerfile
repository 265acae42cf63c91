FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    STATIC_ROOT=/app/staticfiles VAR_DIR=/app/var
WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN pip install .
# A throwaway key: collectstatic needs settings to load, nothing is signed at build time.
RUN DEBUG=0 SECRET_KEY=build-only-not-used-at-runtime python manage.py collectstatic --noinput
RUN useradd --system --home /app leadrouter && mkdir -p /app/var && chown -R leadrouter /app/var
USER leadrouter
EXPOSE 8000
CMD ["gunicorn", "leadrouter.wsgi", "--bind", "0.0.0.0:8000"]

.PHONY: run test lint format typecheck schema check-deploy bench test-faults fuzz

run:            ## venv, services, migrate, demo data, web + worker + beat
	bash scripts/run

test:           ## the whole test suite against real PostgreSQL and Redis
	bash scripts/test $(ARGS)

lint:           ## ruff lint + format check, mypy
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy .

format:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

schema:         ## validate the OpenAPI schema
	DJANGO_SETTINGS_MODULE=config.settings.test .venv/bin/python manage.py spectacular --validate --fail-on-warn --file var/openapi.yaml

bench:          ## benchmarks on a fresh allot_bench database (BENCH_SCALE=small|full; docs/performance.md)
	bash bench/run

test-faults:    ## fault injection: own PostgreSQL/Redis/gunicorn/Celery per test, kill -9 and outages (~4 min)
	bash scripts/test tests/faults -m faults -p no:cacheprovider $(ARGS)

fuzz:           ## schemathesis against the live OpenAPI schema, as customer/owner/admin (own throwaway DB; docs/security.md)
	bash -c 'source scripts/bootstrap.sh requirements/dev.txt && python tests/hostile/fuzz.py $(ARGS)'

check-deploy:   ## Django's deployment checklist with production settings
	DJANGO_SECRET_KEY=$$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(64))') \
	DJANGO_ALLOWED_HOSTS=allot.example.com \
	.venv/bin/python manage.py check --deploy --fail-level WARNING --settings=config.settings.production

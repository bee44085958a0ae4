# The mandates worker (and the `mandates` CLI) for the compose stack.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -c constraints.txt . \
 && useradd --system --uid 10001 --no-create-home mandates \
 && install -d -o mandates -g mandates /var/lib/mandates
USER mandates
CMD ["python", "-m", "worker"]

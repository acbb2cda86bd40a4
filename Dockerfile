# The ScalperNet service image (API and nightly job); Neo4j runs in its own official image.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
COPY cypher ./cypher
COPY neo4j ./neo4j
RUN pip install --no-cache-dir -e . && useradd --create-home scalpernet \
    && mkdir -p /data /drop && chown scalpernet /data /drop
# Named volumes mounted on /data and /drop take these owners: the service must write there.
USER scalpernet
ENV SCALPERNET_DATA_DIR=/data
EXPOSE 8000
CMD ["scalpernet", "serve", "--host", "0.0.0.0", "--port", "8000"]

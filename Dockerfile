# ledgerflow on Debian 12: build with Debian's packages, run on a slim image.
FROM debian:12 AS build
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      build-essential cmake ninja-build pkg-config librdkafka-dev libpqxx-dev libpq-dev rapidjson-dev \
      libspdlog-dev libfmt-dev libcli11-dev libcpp-httplib-dev libjemalloc-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLEDGERFLOW_TESTS=OFF -DLEDGERFLOW_BENCH=OFF \
 && cmake --build /build --target ledgerflow

FROM debian:12-slim
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      librdkafka1 librdkafka++1 libpqxx-6.4 libpq5 libspdlog1.10 libfmt9 libcpp-httplib0.11 libjemalloc2 ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* && useradd --system --uid 10001 ledgerflow
COPY --from=build /build/cli/ledgerflow /usr/local/bin/ledgerflow
USER ledgerflow
ENTRYPOINT ["ledgerflow"]

#!/usr/bin/env bash
# Builds the C comparison programs in bench/c against Debian's libevent (installing libevent-dev
# and wrk when missing; needs root for that). Only for benchmarks: nothing here is shipped.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -e /usr/include/event2/event.h ] || ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq libevent-dev wrk
fi
mkdir -p build/c
for prog in bench bench_cascade timers_million; do
  cc -O2 -Wall -pthread -o "build/c/$prog" "bench/c/$prog.c" -levent_core
done
cc -O2 -Wall -o build/c/evhttp_hello bench/c/evhttp_hello.c -levent
cc -O2 -Wall -o build/c/bare_http bench/c/bare_http.c
cc -O2 -Wall -o build/c/echo_server bench/c/echo_server.c -levent_core
cc -O2 -Wall -o build/c/echo_client bench/c/echo_client.c
cc -O2 -Wall -pthread -o build/c/calls bench/c/calls.c
cc -O2 -Wall -pthread -o build/c/wake_latency bench/c/wake_latency.c
cc -O2 -Wall -o build/c/timers bench/c/timers.c -levent_core
echo "built: $(ls build/c | tr '\n' ' ')in build/c"

-- GET /health: the event loop's own latency, with no database and no auth.
WORKLOAD = "health"
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
wrk.method = "GET"
wrk.path = "/health"

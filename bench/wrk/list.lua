-- GET the task list of one user who has exactly 100 tasks.
WORKLOAD = "list"
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
wrk.method = "GET"
wrk.path = "/api/" .. os.getenv("BENCH_USER") .. "/tasks"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")

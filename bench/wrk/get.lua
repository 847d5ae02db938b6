-- GET one path (BENCH_PATH, with its query) as one user (BENCH_TOKEN), with
-- If-None-Match when BENCH_IF_NONE_MATCH is set: the history table's queries
-- one at a time, and conditional lists (bench/conditional.sh).
-- WORKLOAD names the line (BENCH_NAME, default "get"). With BENCH_EXPECT=304
-- the answers that count as good are 304, not 2xx.
WORKLOAD = os.getenv("BENCH_NAME") or "get"
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
wrk.method = "GET"
wrk.path = os.getenv("BENCH_PATH")
if os.getenv("BENCH_TOKEN") then
    wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
end
if os.getenv("BENCH_IF_NONE_MATCH") then
    wrk.headers["If-None-Match"] = os.getenv("BENCH_IF_NONE_MATCH")
end

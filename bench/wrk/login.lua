-- POST /api/auth/login with the right password for one account
-- (BENCH_EMAIL, BENCH_PASSWORD): every request costs one Argon2id check.
WORKLOAD = "login"
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
wrk.method = "POST"
wrk.path = "/api/auth/login"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"email":"%s","password":"%s"}', os.getenv("BENCH_EMAIL"),
    os.getenv("BENCH_PASSWORD"))

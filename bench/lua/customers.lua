-- GET /api/customers/{id}, ids spread uniformly over the seeded customers.
local n = tonumber(os.getenv("BENCH_CUSTOMERS") or "4")
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/customers/" .. math.random(1, n))
end

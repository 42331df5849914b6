-- 90 % GET /api/customers/{id}, 10 % PATCH of the same customers' genre.
local n = tonumber(os.getenv("BENCH_CUSTOMERS") or "4")
local genres = {"ACTION", "COMEDY", "CRIME", "DRAMA"}
local json = {["Content-Type"] = "application/json"}
math.randomseed(os.time() + 1)
request = function()
  local id = math.random(1, n)
  if math.random() < 0.1 then
    local body = '{"favoriteGenre":"' .. genres[math.random(1, 4)] .. '"}'
    return wrk.format("PATCH", "/api/customers/" .. id .. "/genre", json, body)
  end
  return wrk.format("GET", "/api/customers/" .. id)
end

-- wrk script: every request a different query (no two alike within a run),
-- so each one misses the response cache and is computed from the store.
-- The path template comes from the environment: VARY_PATH, with {day}
-- replaced by a day of 2025, {from} by a day of 2023–2024 and {limit} by a
-- limit of 1 to 200.
local template = os.getenv("VARY_PATH")
local counter = 0

local function day(year, n, days)
  local t = os.time({year = year, month = 1, day = 1, hour = 12}) + (n % days) * 86400
  return os.date("!%Y-%m-%d", t)
end

request = function()
  counter = counter + 1
  -- Each wrk thread has its own counter: start them apart.
  local n = counter * 7919 + math.random(0, 1000000)
  local path = template:gsub("{day}", day(2025, n, 365))
    :gsub("{from}", day(2023, math.floor(n / 365), 730))
    :gsub("{limit}", tostring(1 + math.floor(n / 365) % 200))
  return wrk.format("GET", path)
end

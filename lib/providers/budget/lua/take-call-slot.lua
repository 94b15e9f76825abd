--[[
  Takes one slot of a cloud account's call budget, shared by every worker of that account:
  GCRA (the generic cell rate algorithm, as lib/ratelimit/lua/gcra.lua), a token bucket kept as
  one timestamp. The bucket holds `burst` calls and refills one every `interval` µs. A call at
  `now` may go when TAT - now <= (burst - 1) * interval; taking it moves TAT one interval on.
  Before that, a pause set by pause-calls.lua (the cloud throttled someone and said when to come
  back) refuses every call until it ends: all sharers back off together.

  The clock is the Redis server's (TIME), one clock for every worker process.

  KEYS[1] cloud:<provider>:<account>         string: TAT, µs since the epoch; expires when the bucket is full
  KEYS[2] cloud:<provider>:<account>:pause   string: µs since the epoch until which nobody calls (pause-calls.lua)
  ARGV[1] interval   µs between two calls at the sustained rate (integer >= 1)
  ARGV[2] burst      calls allowed at once (integer >= 1)

  Returns {wait_us, paused}:
    wait_us  0: the slot is taken, call now; > 0: no slot taken, ask again in wait_us
    paused   1 when the refusal is a pause, 0 otherwise
]]
local rcall = redis.call
local t = rcall("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

local pause_until = tonumber(rcall("GET", KEYS[2]) or 0) or 0
if pause_until > now then
  return {pause_until - now, 1}
end

local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(rcall("GET", KEYS[1]) or 0) or 0
if tat < now then
  tat = now
end
local allow_at = tat - interval * (burst - 1)
if now < allow_at then
  return {allow_at - now, 0}
end

local new_tat = tat + interval
-- Gone once the bucket is full again: an idle account costs no memory.
rcall("SET", KEYS[1], string.format("%d", new_tat), "PX", math.ceil((new_tat - now) / 1000) + 1)
return {0, 0}

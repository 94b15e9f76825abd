--[[
  Books one call slot of a cloud account's budget, shared by every worker of that account:
  GCRA (the generic cell rate algorithm, as lib/ratelimit/lua/gcra.lua), a token bucket kept as
  one timestamp (TAT). The bucket holds `burst` calls and refills one every `interval` µs. A call
  conforms at time `at` when at >= TAT - (burst - 1) * interval; it then moves TAT to
  max(TAT, at) + interval. So in any span of time d at most burst + d / interval calls go.

  Rather than refuse, the script books the earliest conforming time, no earlier than the end of
  a pause set by pause-calls.lua (the cloud throttled someone and said when to come back), and
  the caller sleeps until then: callers are served in the order they asked, each with one round
  trip, and nobody polls. A slot further away than `max_wait` is not booked: the caller gives up
  at once instead of holding a slot it will not use.

  The clock is the Redis server's (TIME), one clock for every worker process.

  KEYS[1] cloud:<provider>:<account>         string: TAT, µs since the epoch; expires when the bucket is full
  KEYS[2] cloud:<provider>:<account>:pause   string: µs since the epoch until which nobody calls
  ARGV[1] interval   µs between two calls at the sustained rate (integer >= 1)
  ARGV[2] burst      calls allowed at once (integer >= 1)
  ARGV[3] max_wait   µs the caller may still wait (integer >= 0)

  Returns {wait_us, booked}:
    booked 1: the slot at now + wait_us is the caller's (0: call now)
    booked 0: the earliest slot is wait_us away, beyond max_wait; nothing was booked
]]
local rcall = redis.call
local t = rcall("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])

local pause_until = tonumber(rcall("GET", KEYS[2]) or 0) or 0
local tat = tonumber(rcall("GET", KEYS[1]) or 0) or 0
if tat < now then
  tat = now
end
local at = math.max(tat - interval * (burst - 1), now, pause_until)
if at - now > max_wait then
  return {at - now, 0}
end

local new_tat = math.max(tat, at) + interval
-- Gone once the bucket is full again: an idle account costs no memory.
rcall("SET", KEYS[1], string.format("%d", new_tat), "PX", math.ceil((new_tat - now) / 1000) + 1)
return {at - now, 1}

--[[
  The cloud throttled a call of this account and said how long to stay away (Retry-After): from
  now on take-call-slot.lua books no slot before then for any sharer, and a caller that booked
  one earlier checks the key's TTL before it calls (the key expires exactly when the pause ends).
  A pause only ever grows: a shorter hint arriving while a longer pause runs changes nothing.

  KEYS[1] cloud:<provider>:<account>:pause   string: µs since the epoch; expires with the pause
  ARGV[1] pause    µs from now (integer >= 1)

  Returns the µs left of the pause now in force.
]]
local rcall = redis.call
local t = rcall("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local wanted = now + tonumber(ARGV[1])
local current = tonumber(rcall("GET", KEYS[1]) or 0) or 0
if current >= wanted then
  return current - now
end
rcall("SET", KEYS[1], string.format("%d", wanted), "PX", math.ceil((wanted - now) / 1000) + 1)
return wanted - now

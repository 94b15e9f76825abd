--[[
  Takes one of an endpoint's delivery slots (a counting semaphore with expiring holders), so one
  slow endpoint holds at most its limit of the webhook workers' slots and never delays the others.
  Holders expire on the Redis clock: a worker killed mid-send frees its slot after the TTL.

  KEYS[1] queue:webhooks:inflight:<endpoint> (ZSET: holder → expiry, ms, Redis clock)
  ARGV[1] the endpoint's limit (max_in_flight)
  ARGV[2] holder (the delivery job's id)
  ARGV[3] TTL of the hold, ms (longer than one send can take)

  Returns 1 when the slot is taken (or the holder had it already), 0 when every slot is held.
]]
local rcall = redis.call
local t = rcall("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
rcall("ZREMRANGEBYSCORE", KEYS[1], "-inf", now)
if rcall("ZSCORE", KEYS[1], ARGV[2]) or rcall("ZCARD", KEYS[1]) < tonumber(ARGV[1]) then
  rcall("ZADD", KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
  rcall("PEXPIRE", KEYS[1], tonumber(ARGV[3]))
  return 1
end
return 0

--[[
  One rate-limit decision for one client: GCRA (the generic cell rate algorithm), i.e. a token
  bucket kept as a single timestamp. The bucket holds `burst` requests and refills one every
  `interval` µs. The key stores the theoretical arrival time (TAT): when the bucket would be full
  again if nothing else came. A request at `now` is allowed when TAT - now <= (burst - 1) *
  interval; allowing it moves TAT one interval on. So in any span of time d at most
  burst + d / interval requests are allowed, and a client's state is one small string: O(1) work
  and memory per request, whatever the rate.

  The clock is the Redis server's (TIME), one clock for every API replica.

  KEYS[1] ratelimit:<client>   string: TAT in µs since the epoch; expires when the bucket is full
  ARGV[1] interval             µs between two requests at the sustained rate (integer >= 1)
  ARGV[2] burst                requests allowed at once (integer >= 1)
  ARGV[3] want                 requests to take at once (integer >= 1, default 1): an API process
                               takes a few for a client with a large budget (lib/ratelimit/lease.ts)

  Returns {granted (0..want), remaining, wait_us, now_us}: granted is as many of `want` as the
  bucket holds, 0 for a refusal (with want = 1: 1 allowed, 0 refused)
    remaining  requests that would be allowed right after this one
    wait_us    µs until one more request is allowed (for a refusal: until this one would have been)
    now_us     the server time the decision was taken at
]]
local rcall = redis.call
local t = rcall("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local want = tonumber(ARGV[3] or 1) or 1
local tolerance = interval * (burst - 1)

local tat = tonumber(rcall("GET", KEYS[1]) or 0) or 0
if tat < now then
  tat = now
end

local allow_at = tat - tolerance
if now < allow_at then
  return {0, 0, allow_at - now, now}
end

-- As many of `want` as fit: each one moves TAT an interval on, and TAT - now may reach the
-- tolerance plus one interval at most.
local fits = math.floor((now + tolerance - tat) / interval) + 1
local granted = math.min(want, fits)
local new_tat = tat + granted * interval
-- Gone once the bucket is full again: an idle client costs no memory.
rcall("SET", KEYS[1], string.format("%d", new_tat), "PX", math.ceil((new_tat - now) / 1000) + 1)
local slack = now + tolerance - new_tat -- >= -interval
local units = math.floor(slack / interval)
return {granted, units + 1, (units + 1) * interval - slack, now}

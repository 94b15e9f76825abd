--[[
  Moves the due members of a sorted set to the list of the provider named in each member (a job
  JSON with a "provider" field), atomically. Used for schedule:revocations → queue:<provider>.

  KEYS[1]    the sorted set (member → due time in ms)
  KEYS[2]    the list for members that name no known provider or are not JSON (with the reason)
  KEYS[3..n] one destination list per provider, in the order of ARGV[4..]
  ARGV[1]    now, ms: members with score <= now are due
  ARGV[2]    the most members to move in one call
  ARGV[3]    now, ms, written into the entries of KEYS[2]
  ARGV[4..]  provider names, ARGV[3 + i] going to KEYS[2 + i]

  Returns a flat array {member, provider, member, provider, ...}; provider is "" for a member
  sent to KEYS[2].

  Safe with several schedulers at once: read and remove happen in the same script.
]]
local rcall = redis.call
local route = {}
for i = 4, #ARGV do
  route[ARGV[i]] = KEYS[i - 1]
end
local due = rcall("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1], "LIMIT", 0, tonumber(ARGV[2]))
local moved = {}
for _, member in ipairs(due) do
  local ok, job = pcall(cjson.decode, member)
  local provider = ok and type(job) == "table" and job["provider"] or nil
  local dest = type(provider) == "string" and route[provider] or nil
  if dest then
    rcall("LPUSH", dest, member)
    moved[#moved + 1] = member
    moved[#moved + 1] = provider
  else
    rcall("LPUSH", KEYS[2], cjson.encode({
      job = member, reason = "unroutable: no known provider in the scheduled job", failed_at = tonumber(ARGV[3])
    }))
    moved[#moved + 1] = member
    moved[#moved + 1] = ""
  end
  rcall("ZREM", KEYS[1], member)
end
return moved

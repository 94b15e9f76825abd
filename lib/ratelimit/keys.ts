/** One key per client: its GCRA timestamp (lua/gcra.lua). Client names are [A-Za-z0-9_.-]. */
export const rateLimitKey = (client: string) => `ratelimit:${client}`;

export {
  type ArmSim,
  type ArmSimBehaviour,
  type ArmSimOptions,
  type ArmSnapshot,
  createArmSim,
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_TENANT_ID,
} from "./arm-sim.ts";
export { type ArmSeed, armSeedSchema } from "./seed.ts";

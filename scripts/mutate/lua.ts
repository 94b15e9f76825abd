import type { Summary } from "./summary.ts";
export async function runLuaMutants(_dir: string): Promise<Summary> {
  throw new Error("todo");
}

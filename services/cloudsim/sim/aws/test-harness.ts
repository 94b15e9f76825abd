import { IAMClient } from "@aws-sdk/client-iam";
import { createIamSim, type IamSim, type IamSimOptions } from "./iam-sim.ts";

export interface RunningIamSim {
  sim: IamSim;
  endpoint: string;
  /** A real SDK client pointed at the simulator; maxAttempts 1 unless a test is about SDK retries. */
  client(opts?: { maxAttempts?: number }): IAMClient;
  stop(): Promise<void>;
}

/** Serves a fresh simulator over real HTTP on an ephemeral port, so tests exercise the SDK's wire code. */
export function startIamSim(opts: IamSimOptions = {}): RunningIamSim {
  const sim = createIamSim(opts);
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: sim.handle });
  const endpoint = `http://127.0.0.1:${server.port}`;
  const clients: IAMClient[] = [];
  return {
    sim,
    endpoint,
    client(o = {}) {
      const client = new IAMClient({
        region: "us-east-1",
        endpoint,
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
        maxAttempts: o.maxAttempts ?? 1,
      });
      clients.push(client);
      return client;
    },
    async stop() {
      for (const c of clients) c.destroy();
      await server.stop(true);
    },
  };
}

/** Awaits a rejection and returns it, failing the test when the promise resolves instead. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

export interface SdkErrorView {
  name: string;
  code: unknown;
  status: unknown;
  fault: unknown;
  message: string;
  attempts: unknown;
}

/** The parts of an SDK service exception tests assert on, read without casting to any. */
export function sdkErrorView(err: unknown): SdkErrorView {
  if (!(err instanceof Error)) throw new Error(`not an Error: ${String(err)}`);
  const e = err as Error & {
    Code?: unknown;
    $fault?: unknown;
    $metadata?: { httpStatusCode?: unknown; attempts?: unknown };
  };
  return {
    name: e.name,
    code: e.Code,
    status: e.$metadata?.httpStatusCode,
    fault: e.$fault,
    message: e.message,
    attempts: e.$metadata?.attempts,
  };
}

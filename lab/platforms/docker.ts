import { spawn } from "node:child_process";
import { once } from "node:events";
import { run } from "../exec";
import { APP_PORT } from "../model";
import { type InstanceExit, type LaunchedInstance, OutputBuffer } from "./instance";

export interface DockerLaunch {
  image: string;
  /** Container name: the handle to stop, inspect and remove it by. */
  name: string;
  hostPort: number;
  cpus?: number;
  memoryMB?: number;
}

/**
 * `docker run` arguments. Memory sets --memory-swap equal to --memory: with --memory alone a
 * container may swap, which would hide the memory pressure the experiment applies.
 */
export function dockerRunArgs(spec: DockerLaunch): string[] {
  const args = ["run", "--name", spec.name, "-p", `127.0.0.1:${spec.hostPort}:${APP_PORT}`];
  if (spec.cpus !== undefined) args.push(`--cpus=${spec.cpus}`);
  if (spec.memoryMB !== undefined) args.push(`--memory=${spec.memoryMB}m`, `--memory-swap=${spec.memoryMB}m`);
  args.push(spec.image);
  return args;
}

async function inspectExit(name: string): Promise<InstanceExit> {
  const { stdout } = await run("docker", ["inspect", "--format", "{{.State.ExitCode}} {{.State.OOMKilled}}", name]);
  const [code, oom] = stdout.trim().split(" ");
  return { exitCode: Number(code), signal: null, oomKilled: oom === "true" };
}

/** Remove a container whatever its state; quiet when it is already gone. */
export async function removeContainer(name: string): Promise<void> {
  await run("docker", ["rm", "-f", name]).catch(() => undefined);
}

/**
 * The app as a container. The client stays attached (no -d) so the container's output streams
 * here; the container is not --rm so that its exit code and OOM flag can be read after it ends.
 */
export function launchDocker(spec: DockerLaunch): LaunchedInstance {
  const output = new OutputBuffer();
  const launchedAt = performance.now();
  const client = spawn("docker", dockerRunArgs(spec), { stdio: ["ignore", "pipe", "pipe"] });
  client.stdout?.on("data", (c) => output.append(c));
  client.stderr?.on("data", (c) => output.append(c));
  client.on("error", (e) => output.append(`spawn error: ${e.message}\n`));
  const clientExited = once(client, "exit");
  return {
    baseUrl: `http://127.0.0.1:${spec.hostPort}`,
    launchedAt,
    isAlive: () => client.exitCode === null && client.signalCode === null,
    output: () => output.toString(),
    async stop(graceMs = 5_000) {
      const seconds = Math.max(1, Math.ceil(graceMs / 1000));
      try {
        await run("docker", ["stop", "-t", String(seconds), spec.name], { timeoutMs: graceMs + 30_000 }).catch(
          () => undefined,
        );
        await clientExited;
        return await inspectExit(spec.name);
      } finally {
        await removeContainer(spec.name);
      }
    },
  };
}

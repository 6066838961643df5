import { type ChildProcess, spawn } from "node:child_process";
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
 * `docker run -d` arguments. Memory sets --memory-swap equal to --memory: with --memory alone a
 * container may swap, which would hide the memory pressure the experiment applies. The port is
 * published on loopback only.
 */
export function dockerRunArgs(spec: DockerLaunch): string[] {
  const args = ["run", "--detach", "--name", spec.name, "-p", `127.0.0.1:${spec.hostPort}:${APP_PORT}`];
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
 * The app as a container, started detached. Polling waits for `docker run -d` to return: a probe
 * that connects before the container's veth exists leaves the host's neighbour entry for the
 * container unresolved, and every connection then stalls about a second, which would be
 * measured as start-up time. The container is not --rm, so its exit code and OOM flag can be read
 * after it ends; `docker wait` tells when that happens.
 */
export function launchDocker(spec: DockerLaunch): LaunchedInstance {
  const output = new OutputBuffer();
  let waiter: ChildProcess | undefined;
  const launchedAt = performance.now();
  const started = run("docker", dockerRunArgs(spec), { timeoutMs: 120_000 }).then(() => {
    waiter = spawn("docker", ["wait", spec.name], { stdio: "ignore" });
  });
  started.catch(() => undefined); // reported to whoever awaits `started`
  const waiterRunning = () => waiter !== undefined && waiter.exitCode === null && waiter.signalCode === null;
  return {
    baseUrl: `http://127.0.0.1:${spec.hostPort}`,
    launchedAt,
    started,
    isAlive: () => waiter === undefined || waiterRunning(),
    output: () => output.toString(),
    async stop(graceMs = 5_000) {
      await started.catch(() => undefined);
      const seconds = Math.max(1, Math.ceil(graceMs / 1000));
      try {
        await run("docker", ["stop", "-t", String(seconds), spec.name], { timeoutMs: graceMs + 30_000 }).catch(
          () => undefined,
        );
        const logs = await run("docker", ["logs", spec.name]).catch(() => ({ stdout: "", stderr: "" }));
        output.append(logs.stdout);
        output.append(logs.stderr);
        return await inspectExit(spec.name);
      } finally {
        waiter?.kill();
        await removeContainer(spec.name);
      }
    },
  };
}

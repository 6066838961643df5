/**
 * A signed apt repository of stand-in packages, built on this machine for the bootstrap's
 * container test: tiny .deb files (dpkg-deb) that print the versions the revision pins, indexed
 * with dpkg-scanpackages, a Release file with their sha256 and an InRelease signed by a key made
 * for the test (gpg). apt in the containers checks the signature and every package's hash, as it
 * does against Docker's and Ubuntu's repositories.
 */
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { run } from "../../core/exec";

export interface StandInPackage {
  name: string;
  version: string;
  /** Files the package installs (absolute paths inside the package), executables marked. */
  files: { path: string; content: string; executable?: boolean }[];
}

export interface AptRepo {
  /** The repository root (mount it into the containers). */
  dir: string;
  suite: string;
  component: string;
  /** The signing key's OpenPGP fingerprint (40 uppercase hex digits). */
  fingerprint: string;
  /** The armored public key, at `${dir}/key.asc`. */
  keyFile: string;
}

/** Build the repository under `dir` (needs dpkg-deb, dpkg-scanpackages and gpg on this machine). */
export async function buildAptRepo(dir: string, packages: readonly StandInPackage[]): Promise<AptRepo> {
  const suite = "stable";
  const component = "main";
  const pool = join(dir, "pool");
  mkdirSync(pool, { recursive: true });
  for (const p of packages) {
    const root = join(dir, "build", `${p.name}_${p.version.replace(/:/g, "%3a")}`);
    mkdirSync(join(root, "DEBIAN"), { recursive: true });
    writeFileSync(
      join(root, "DEBIAN", "control"),
      `Package: ${p.name}\nVersion: ${p.version}\nArchitecture: amd64\nMaintainer: edgelab tests <test@localhost>\nDescription: stand-in for ${p.name} (edgelab bootstrap test)\n`,
    );
    for (const f of p.files) {
      const path = join(root, f.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, f.content);
      chmodSync(path, f.executable ? 0o755 : 0o644);
    }
    await run("dpkg-deb", [
      "--root-owner-group",
      "-Zgzip",
      "--build",
      root,
      join(pool, `${p.name}_${p.version.replace(/:/g, "%3a")}_amd64.deb`),
    ]);
  }
  const binary = join(dir, "dists", suite, component, "binary-amd64");
  mkdirSync(binary, { recursive: true });
  const { stdout } = await run("dpkg-scanpackages", ["--multiversion", "pool", "/dev/null"], { cwd: dir });
  writeFileSync(join(binary, "Packages"), stdout);
  const packagesFile = readFileSync(join(binary, "Packages"));
  const release = [
    "Origin: edgelab-test",
    "Label: edgelab-test",
    `Suite: ${suite}`,
    `Codename: ${suite}`,
    "Architectures: amd64",
    `Components: ${component}`,
    `Date: ${new Date().toUTCString()}`,
    "SHA256:",
    ` ${createHash("sha256").update(packagesFile).digest("hex")} ${packagesFile.length} ${component}/binary-amd64/Packages`,
    "",
  ].join("\n");
  writeFileSync(join(dir, "dists", suite, "Release"), release);

  const gnupg = join(dir, "gnupg");
  mkdirSync(gnupg, { recursive: true, mode: 0o700 });
  const gpg = (args: string[]) => run("gpg", ["--homedir", gnupg, "--batch", ...args]);
  await gpg([
    "--passphrase",
    "",
    "--quick-gen-key",
    "edgelab test repository <test@localhost>",
    "ed25519",
    "sign",
    "never",
  ]);
  const listed = await gpg(["--with-colons", "--list-keys"]);
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(listed.stdout)?.[1];
  if (!fingerprint) throw new Error(`no fingerprint in gpg's key list:\n${listed.stdout}`);
  const exported = await gpg(["--armor", "--export", fingerprint]);
  const keyFile = join(dir, "key.asc");
  writeFileSync(keyFile, exported.stdout);
  await gpg([
    "--yes",
    "--default-key",
    fingerprint,
    "--clearsign",
    "-o",
    join(dir, "dists", suite, "InRelease"),
    join(dir, "dists", suite, "Release"),
  ]);
  return { dir, suite, component, fingerprint, keyFile };
}

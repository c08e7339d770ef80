// On a second Ctrl-C `certbridge dev` exits at once, but must not leave etcd and kube-apiserver
// orphaned (a terminal's Ctrl-C reaches them, a second SIGTERM from a script does not). The control
// plane does not expose its children, so find them: our own children whose command line names the
// control plane's private data dir. Linux only (/proc); elsewhere this does nothing.
import { readdirSync, readFileSync } from "node:fs";

function parentOf(pid: string): number | undefined {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may contain spaces, so split after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/** SIGKILLs this process's children whose command line contains `marker`; returns their pids. */
export function killChildrenMentioning(marker: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const killed: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || parentOf(entry) !== process.pid) continue;
    let cmdline = "";
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (!cmdline.includes(marker)) continue;
    try {
      process.kill(Number(entry), "SIGKILL");
      killed.push(Number(entry));
    } catch {
      /* already gone */
    }
  }
  return killed;
}

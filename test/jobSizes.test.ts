/**
 * A job's size in the plan is what its run really gets on each cloud, the size the
 * platform registers (components/jobSizes.ts is the table both read): a Fargate task's
 * cpu/memory on AWS, a Cloud Run job's limits on GCP, the pod's requests and limits on
 * Kubernetes; never the VM size a node of that size would be. Each cloud: the expected
 * text is built from the registered resource's inputs, and the plan's topology line, its
 * summary line and its diagram box must say it.
 */
import { strict as assert } from "node:assert";
import type { RegisteredResource } from "../automation/offline/mocks";
import { servicesDiagram } from "../automation/diagramModel";
import { formatPlan } from "../automation/planReport";
import type { Cloud } from "../components/sizes";
import { modelPlan } from "./modelPlan";
import { runStack, type Program } from "./programQueries";

const job = (cloud: Cloud, size?: string) => ({ kind: "cron", image: "busybox:1.36", command: ["sh", "-c", "date"], schedule: "0 3 * * *", timeoutSeconds: 60, uses: cloud === "digitalocean" ? ["db"] : [], ...(size ? { size } : {}) });

/** Per cloud: a native size besides the default preset, and what its platform registers for a job, in the plan's words. */
const clouds: Array<{ cloud: Cloud; native: string; vm: string; alarms: boolean; registered: (p: Program, name: string) => string }> = [
  {
    cloud: "aws",
    native: "m6i.xlarge",
    vm: "t3.small",
    alarms: true,
    registered: (p, name) => {
      const task = one(p.all("aws:ecs/taskDefinition:TaskDefinition"), (r) => r.name === `web-${name}-job`);
      return `Fargate ${Number(task.inputs.cpu) / 1024} vCPU, ${Number(task.inputs.memory) / 1024} GiB`;
    },
  },
  {
    cloud: "gcp",
    native: "e2-standard-4",
    vm: "e2-small",
    alarms: true,
    registered: (p, name) => {
      const run = one(p.all("gcp:cloudrunv2/job:Job"), (r) => r.name === `web-${name}-job`);
      const { cpu, memory } = run.inputs.template.template.containers[0].resources.limits;
      return `Cloud Run ${cpu} CPU, ${memory}`;
    },
  },
  {
    cloud: "kubernetes",
    native: "750m/1536Mi",
    vm: "250m/256Mi",
    alarms: false,
    registered: (p, name) => {
      const cron = one(p.all("kubernetes:batch/v1:CronJob"), (r) => r.inputs.metadata?.name === `web-${name}`);
      const { requests, limits } = cron.inputs.spec.jobTemplate.spec.template.spec.containers[0].resources;
      return `pod ${requests.cpu} CPU, ${requests.memory} (memory limit ${limits.memory})`;
    },
  },
  {
    // No container scheduler: a run gets its droplet (the lease, platforms/digitalocean/jobs.ts).
    cloud: "digitalocean",
    native: "s-2vcpu-4gb",
    vm: "a size no droplet of a job shows",
    alarms: true,
    registered: (p, name) => {
      const sizes = new Set(p.all("digitalocean:index/droplet:Droplet").filter((d) => d.name.startsWith(`web-${name}-node-`)).map((d) => d.inputs.size as string));
      assert.equal(sizes.size, 1);
      return [...sizes][0];
    },
  },
];

function one(rs: RegisteredResource[], pick: (r: RegisteredResource) => boolean): RegisteredResource {
  const found = rs.filter(pick);
  assert.equal(found.length, 1, `one resource, found ${found.map((r) => r.name).join(", ") || "none"}`);
  return found[0];
}

for (const { cloud, native, vm, alarms, registered } of clouds) {
  describe(`plan: a job's size on ${cloud} is what its platform registers`, function () {
    const example = `stacks/examples/Pulumi.${cloud}-services.yaml`;
    const patch = { workloads: { nightly: job(cloud), weekly: job(cloud, native) }, ...(alarms ? { alarms: { email: "oncall@example.com" } } : {}) };
    let p: Program;
    let text: string;
    let diagram: ReturnType<typeof servicesDiagram>;
    before(async function () {
      p = await runStack(example, patch);
      const plan = modelPlan(example, { patch });
      text = formatPlan(plan);
      diagram = servicesDiagram(plan);
    });

    for (const name of ["nightly", "weekly"]) {
      it(`${name}: the plan, its summary and the diagram say the registered size`, function () {
        const size = registered(p, name);
        const lines = text.split("\n");
        const entry = lines.findIndex((l) => new RegExp(`^\\s+${name}\\s+cron\\b`).test(l));
        assert.ok(entry >= 0, text);
        assert.ok(lines[entry + 1].includes(`one run per tick · ${size} · busybox:1.36`), `the plan's topology says ${size}: ${lines[entry + 1]}`);
        const summary = lines.find((l) => new RegExp(`\\bjob ${name}\\b`).test(l));
        assert.ok(summary?.includes(`one run per tick · ${size} running busybox:1.36`), `the summary says ${size}: ${summary}`);
        const box = diagram.workloads.find((w) => w.name === name);
        assert.ok(box?.lines.includes(`one run per tick · ${size}`), `the diagram says ${size}: ${box?.lines.join(" | ")}`);
      });
    }

    it("never shows a job as the VM size of a node", function () {
      const jobLines = text.split("\n").filter((l) => l.includes("one run per tick"));
      assert.ok(jobLines.length >= 4, text);
      for (const l of jobLines) assert.ok(!l.includes(` ${vm} `) && !l.includes(`· ${vm}`), l);
    });
  });
}

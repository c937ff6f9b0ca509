// FdChannel: fds with payloads over an AF_UNIX socket, within a process and between processes
// (Bun <-> Deno).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { EV, EventBase, runtime, sys } from "./deps.ts";
import { scriptCommand } from "../src/ffi/mod.ts";
import { FdChannel, type FdChannelError, type FdMessage } from "../src/threads/mod.ts";
import { acceptAll, unlinkPath } from "../src/net/socket.ts";
import { backendVariants, emulatorLimit, hangGuard } from "./helpers.ts";
import { fdSnapshot, fdsAddedSince, fixture, text } from "./threads-helpers.ts";

for (const variant of backendVariants()) {
  describe(`FdChannel on ${variant.label}`, () => {
    it("passes fds with payloads that survive stream splitting, in order", async () => {
      const before = fdSnapshot();
      const base = new EventBase(variant.options);
      const [x, y] = FdChannel.pair();
      const got: FdMessage[] = [];
      const sender = new FdChannel(base, x, {}, { maxPayload: 8192 });
      const receiver = new FdChannel(base, y, {
        message: (m) => {
          got.push(m);
          if (got.length === 150) base.loopBreak();
        },
      }, { maxPayload: 8192 });
      let queued = 0;
      for (let i = 0; i < 150; i++) {
        const [r, w] = sys.pipe();
        sys.write(w, `pipe ${i}`);
        sys.close(w);
        const payload = new Uint8Array(3000 + i * 20).fill(i & 0xff);
        if (!sender.send(i % 3 === 0 ? [] : [r], payload)) queued++;
        if (i % 3 === 0) sys.close(r);
      }
      assert.ok(queued > 0, "the socket buffer filled (messages were split and queued)");
      base.addVirtual();
      await base.loop();
      base.removeVirtual();
      assert.equal(got.length, 150);
      got.forEach((m, i) => {
        assert.equal(m.data.byteLength, 3000 + i * 20, `message ${i} length`);
        assert.ok(m.data.every((v) => v === (i & 0xff)), `message ${i} payload`);
        assert.equal(m.fds.length, i % 3 === 0 ? 0 : 1);
        for (const fd of m.fds) {
          assert.equal(text(sys.read(fd)!), `pipe ${i}`);
          sys.close(fd);
        }
      });
      assert.equal(sender.stats.sent, 150);
      sender.close();
      receiver.close();
      base.close();
      assert.deepEqual(await fdsAddedSince(before), []);
    });

    it("detects MSG_CTRUNC, closes what arrived, and goes on", {
      skip: emulatorLimit("recvmsg hands the kernel a control buffer larger than the guest's, so MSG_CTRUNC never comes"),
    }, async () => {
      const before = fdSnapshot();
      const base = new EventBase(variant.options);
      const [x, y] = FdChannel.pair();
      const errors: FdChannelError[] = [];
      const got: FdMessage[] = [];
      const sender = new FdChannel(base, x, {}, { maxFds: 8 });
      const receiver = new FdChannel(base, y, {
        message: (m) => {
          got.push(m);
          base.loopBreak();
        },
        error: (e) => errors.push(e),
      }, { maxFds: 2 });
      const pipes = Array.from({ length: 4 }, () => sys.pipe()).flat();
      sender.send(pipes.slice(0, 4), "four fds");
      for (const fd of pipes.slice(4)) sys.close(fd);
      const [r, w] = sys.pipe();
      sender.send([r], "one fd");
      sys.close(w);
      base.addVirtual();
      await base.loop();
      assert.equal(errors.length, 1);
      assert.equal(errors[0].code, "CTRUNC");
      assert.equal(errors[0].fdsClosed, 2);
      assert.match(errors[0].message, /MSG_CTRUNC: 2 of 4 arrived/);
      assert.equal(got.length, 1);
      assert.equal(text(got[0].data), "one fd");
      for (const fd of got[0].fds) sys.close(fd);
      assert.equal(receiver.stats.lost, 1);
      sender.close();
      receiver.close();
      base.close();
      assert.deepEqual(await fdsAddedSince(before), []);
    });
  });
}

describe("FdChannel between processes", () => {
  it("a peer process dying mid-transfer loses no fd", async () => {
    const before = fdSnapshot();
    const base = new EventBase();
    const path = `/tmp/evffi-dying-${process.pid}-${Date.now()}.sock`;
    const listenFd = FdChannel.listen(path);
    let closedWith: Error | null | undefined;
    let channel: FdChannel | null = null;
    const accept = base.event(listenFd, EV.READ, () => {
      acceptAll(listenFd, (fd) => {
        channel = new FdChannel(base, fd, {
          close: (err) => {
            closedWith = err;
            guard.close();
          },
        });
      });
    });
    accept.add();
    const guard = base.timer(20_000, () => base.loopBreak()); // a child that never connects
    const cmd = scriptCommand(fixture("threads-dying-peer.ts").pathname, [path]);
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ["ignore", "inherit", "inherit"], timeout: hangGuard(20_000) });
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    await base.loop();
    assert.equal(await exited, 0);
    assert.ok(channel);
    assert.ok(closedWith, "the channel reports the cut message");
    assert.equal((closedWith as FdChannelError).code, "TRUNCATED_STREAM");
    assert.equal((closedWith as FdChannelError).fdsClosed, 2);
    sys.close(listenFd);
    unlinkPath(path);
    base.close();
    assert.deepEqual(await fdsAddedSince(before), [], "the two fds that arrived were closed");
  });

  it("fds pass between a Bun and a Deno process, both ways", async () => {
    const other = runtime === "bun" ? "deno" : "bun";
    const exe = new URL(`../node_modules/.bin/${other}`, import.meta.url).pathname;
    const base = new EventBase();
    const path = `/tmp/evffi-peer-${process.pid}-${Date.now()}.sock`;
    const listenFd = FdChannel.listen(path);
    const [pipeRead, pipeWrite] = sys.pipe();
    const [mine, theirs] = sys.socketpair();
    const seen: Record<string, string> = {};
    let channel: FdChannel | null = null;
    const accept = base.event(listenFd, EV.READ, () => {
      acceptAll(listenFd, (fd) => {
        channel = new FdChannel(base, fd, {
          message: ({ fds, data }) => {
            seen.reply = text(data);
            seen.back = text(sys.read(fds[0])!);
            sys.close(fds[0]);
            sys.write(mine, "ping over a passed socket");
          },
        });
        channel.send([pipeWrite, theirs], "hello"); // the channel takes both
      });
    });
    accept.add();
    const fromPipe = base.event(pipeRead, EV.READ, () => void (seen.pipe = text(sys.read(pipeRead)!)));
    fromPipe.add();
    const echo = base.event(mine, EV.READ | EV.PERSIST, () => {
      const got = sys.read(mine);
      if (got === null) return;
      seen.echo = text(got);
      echo.close();
      sys.close(mine);
      channel!.close(); // the peer sees EOF on both and exits
      guard.close();
    });
    echo.add();
    const guard = base.timer(30_000, () => base.loopBreak()); // a child that never answers
    const cmd = scriptCommand(fixture("threads-fdpeer.ts").pathname, [path], other, exe);
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ["ignore", "inherit", "inherit"], timeout: hangGuard(30_000) });
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    await base.loop();
    assert.equal(await exited, 0);
    assert.deepEqual(seen, {
      pipe: `${other} got "hello"`,
      reply: "yours",
      back: `back from ${other}`,
      echo: "ping over a passed socket",
    });
    sys.close(pipeRead);
    sys.close(listenFd);
    unlinkPath(path);
    base.close();
  });
});

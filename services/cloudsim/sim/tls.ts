import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/**
 * Throwaway TLS for the cloud simulator. The Azure SDKs refuse bearer tokens over plain http and
 * need an https authority, so the ARM/Entra simulator must speak TLS; a CA made fresh at every
 * start (and never reused) lets clients trust exactly this simulator instance and nothing else.
 *
 * Generator: the `openssl` CLI when it is on PATH (the standard tool, easy to audit), else a small
 * pure-JS X.509 writer on node:crypto (ECDSA P-256, SHA-256) so a minimal container without
 * openssl still gets a working simulator. Both produce the same shape of certificates.
 */
export interface SimTls {
  caPem: string;
  certPem: string;
  keyPem: string;
  /** Which generator made them (logged at start; the tests exercise both). */
  generator: "openssl" | "js";
}

export interface SimTlsOptions {
  /** Where to write the CA PEM (clients point NODE_EXTRA_CA_CERTS or tlsOptions.ca at it). */
  caFile?: string;
  /** Force a generator; default: openssl when present, else js. */
  generator?: "auto" | "openssl" | "js";
  /** DNS names to add to localhost (e.g. a compose service name that workers dial). */
  extraHostnames?: readonly string[];
}

const VALID_DAYS = 30;
const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*$/;

interface Sans {
  dns: string[];
  ip: string[];
}

export async function createSimTls(opts: SimTlsOptions = {}): Promise<SimTls> {
  const want = opts.generator ?? "auto";
  const openssl = want === "js" ? null : Bun.which("openssl");
  if (want === "openssl" && openssl === null) throw new Error("openssl CLI not found on PATH");
  const extra = opts.extraHostnames ?? [];
  const bad = extra.find((h) => !HOSTNAME.test(h));
  if (bad !== undefined) throw new Error(`not a DNS hostname: ${JSON.stringify(bad)}`);
  const sans: Sans = { dns: ["localhost", ...extra], ip: ["127.0.0.1", "::1"] };
  let tls: SimTls;
  if (openssl === null) tls = generateWithJs(sans);
  else if (want === "openssl") tls = await generateWithOpenssl(openssl, sans);
  else {
    // An openssl without its config file (some slim images) fails `req`; the simulator must still start.
    tls = await generateWithOpenssl(openssl, sans).catch(() => generateWithJs(sans));
  }
  if (opts.caFile !== undefined) {
    await mkdir(dirname(opts.caFile), { recursive: true });
    await writeFile(opts.caFile, tls.caPem, { mode: 0o644 });
  }
  return tls;
}

// ---------------------------------------------------------------- openssl CLI

async function generateWithOpenssl(bin: string, sans: Sans): Promise<SimTls> {
  const dir = await mkdtemp(join(tmpdir(), "cloudsim-tls-"));
  const p = (f: string) => join(dir, f);
  const run = async (args: string[]) => {
    const proc = Bun.spawn([bin, ...args], { cwd: dir, stdout: "ignore", stderr: "pipe" });
    const [code, err] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    if (code !== 0) throw new Error(`openssl ${args[0]} failed (${code}): ${err.trim().slice(0, 500)}`);
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  try {
    await run([
      "req",
      "-x509",
      ...ec,
      "-keyout",
      p("ca.key"),
      "-out",
      p("ca.pem"),
      "-days",
      String(VALID_DAYS),
      "-subj",
      "/CN=CSecBridge cloudsim throwaway CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    await run(["req", ...ec, "-keyout", p("server.key"), "-out", p("server.csr"), "-subj", "/CN=localhost"]);
    const san = [...sans.dns.map((d) => `DNS:${d}`), ...sans.ip.map((i) => `IP:${i}`)].join(",");
    await writeFile(
      p("server.ext"),
      [
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature",
        "extendedKeyUsage=serverAuth",
        `subjectAltName=${san}`,
        "subjectKeyIdentifier=hash",
        "authorityKeyIdentifier=keyid",
      ].join("\n"),
    );
    await run([
      "x509",
      "-req",
      "-in",
      p("server.csr"),
      "-CA",
      p("ca.pem"),
      "-CAkey",
      p("ca.key"),
      "-set_serial",
      `0x${randomBytes(16)
        .toString("hex")
        .replace(/^[89a-f]/, "1")}`,
      "-days",
      String(VALID_DAYS),
      "-sha256",
      "-extfile",
      p("server.ext"),
      "-out",
      p("server.pem"),
    ]);
    const [caPem, certPem, keyPem] = await Promise.all(
      ["ca.pem", "server.pem", "server.key"].map((f) => readFile(p(f), "utf8")),
    );
    return { caPem: caPem ?? "", certPem: certPem ?? "", keyPem: keyPem ?? "", generator: "openssl" };
  } finally {
    // The CA key must not outlive this call: nobody can mint more certificates under this CA.
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- pure JS (DER by hand)

function generateWithJs(sans: Sans): SimTls {
  const now = Date.now();
  const notBefore = new Date(now - 60 * 60_000); // an hour of slack for clock skew
  const notAfter = new Date(now + VALID_DAYS * 86_400_000);
  const ca = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const server = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const caSpki = ca.publicKey.export({ type: "spki", format: "der" });
  const serverSpki = server.publicKey.export({ type: "spki", format: "der" });
  const caName = name("CSecBridge cloudsim throwaway CA");
  const caKeyId = keyId(caSpki);

  const caCert = certificate(ca.privateKey, {
    issuer: caName,
    subject: caName,
    spki: caSpki,
    notBefore,
    notAfter,
    extensions: [
      ext(OID.basicConstraints, true, seq(bool(true))),
      ext(OID.keyUsage, true, bitString(Buffer.from([0x06]), 1)), // keyCertSign | cRLSign
      ext(OID.subjectKeyIdentifier, false, octets(caKeyId)),
    ],
  });
  const serverCert = certificate(ca.privateKey, {
    issuer: caName,
    subject: name("localhost"),
    spki: serverSpki,
    notBefore,
    notAfter,
    extensions: [
      ext(OID.basicConstraints, true, seq()),
      ext(OID.keyUsage, true, bitString(Buffer.from([0x80]), 7)), // digitalSignature
      ext(OID.extKeyUsage, false, seq(oid(OID.serverAuth))),
      ext(
        OID.subjectAltName,
        false,
        seq(
          ...sans.dns.map((d) => tlv(0x82, Buffer.from(d, "ascii"))),
          ...sans.ip.map((i) => tlv(0x87, ipBytes(i))),
        ),
      ),
      ext(OID.subjectKeyIdentifier, false, octets(keyId(serverSpki))),
      ext(OID.authorityKeyIdentifier, false, seq(tlv(0x80, caKeyId))),
    ],
  });
  return {
    caPem: pem("CERTIFICATE", caCert),
    certPem: pem("CERTIFICATE", serverCert),
    keyPem: String(server.privateKey.export({ type: "pkcs8", format: "pem" })),
    generator: "js",
  };
}

const OID = {
  ecdsaWithSHA256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectAltName: "2.5.29.17",
  subjectKeyIdentifier: "2.5.29.14",
  authorityKeyIdentifier: "2.5.29.35",
  serverAuth: "1.3.6.1.5.5.7.3.1",
};

interface TbsFields {
  issuer: Buffer;
  subject: Buffer;
  spki: Buffer;
  notBefore: Date;
  notAfter: Date;
  extensions: Buffer[];
}

function certificate(signer: KeyObject, f: TbsFields): Buffer {
  const sigAlg = seq(oid(OID.ecdsaWithSHA256));
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f; // positive INTEGER
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))), // v3
    integer(serial),
    sigAlg,
    f.issuer,
    seq(time(f.notBefore), time(f.notAfter)),
    f.subject,
    f.spki,
    tlv(0xa3, seq(...f.extensions)),
  );
  // node:crypto emits the DER ECDSA-Sig-Value that X.509 expects.
  const signature = sign("sha256", tbs, signer);
  return seq(tbs, sigAlg, bitString(signature, 0));
}

function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
    len = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const octets = (b: Buffer) => tlv(0x04, b);
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const bitString = (b: Buffer, unusedBits: number) => tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), b]));
const ext = (id: string, critical: boolean, value: Buffer) =>
  critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
const name = (cn: string) => seq(tlv(0x31, seq(oid(OID.commonName), tlv(0x0c, Buffer.from(cn, "utf8")))));
const keyId = (spki: Buffer) => createHash("sha1").update(spki).digest();
const pem = (label: string, der: Buffer) =>
  `-----BEGIN ${label}-----\n${der.toString("base64").replace(/.{64}/g, "$&\n").replace(/\n$/, "")}\n-----END ${label}-----\n`;

function integer(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0 && ((b[i + 1] ?? 0) & 0x80) === 0) i++;
  const body = b.subarray(i);
  return tlv(0x02, ((body[0] ?? 0) & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), body]) : body);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split(".").map(Number);
  const out: number[] = [(parts[0] ?? 0) * 40 + (parts[1] ?? 0)];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = p >>> 7; v > 0; v >>>= 7) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime up to 2049, GeneralizedTime after, as RFC 5280 requires. */
function time(d: Date): Buffer {
  const iso = d
    .toISOString()
    .replace(/[-:T]/g, "")
    .replace(/\.\d{3}Z$/, "Z"); // YYYYMMDDHHMMSSZ
  return d.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(iso.slice(2), "ascii"))
    : tlv(0x18, Buffer.from(iso, "ascii"));
}

function ipBytes(ip: string): Buffer {
  if (ip.includes(":")) {
    const [head = "", tail = ""] = ip.split("::");
    const h = head ? head.split(":") : [];
    const t = tail ? tail.split(":") : [];
    const groups = [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
    return Buffer.from(
      groups.flatMap((g) => [(Number.parseInt(g, 16) >> 8) & 0xff, Number.parseInt(g, 16) & 0xff]),
    );
  }
  return Buffer.from(ip.split(".").map(Number));
}

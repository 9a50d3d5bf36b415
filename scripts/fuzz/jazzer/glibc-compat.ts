/**
 * Makes @jazzer.js/fuzzer's prebuilt addon load on glibc older than 2.38 (Debian 12 has 2.36).
 *
 * The prebuilt (fuzzer-linux-x64.node, built on a newer distribution) asks for two version
 * tags this machine's libraries lack, and for three symbols under them:
 *   - GLIBC_2.38: __isoc23_strtol and __isoc23_strtoul (the C23 spellings that newer glibc
 *     headers give strtol/strtoul; they differ only in also reading "0b" prefixes);
 *   - GLIBCXX_3.4.32: std::ios_base_library_init, which GCC 13's <iostream> names only to pull
 *     in iostream setup; the addon never calls it.
 * Older jazzer.js releases build the addon at install time from a source archive on GitHub,
 * which this machine cannot reach, so we adapt the prebuilt instead:
 *   1. the two version needs are marked weak (VER_FLG_WEAK: the loader then lets them be
 *      missing) and the three symbols are made unversioned, in a copy renamed over the
 *      original (pnpm hard-links package files to its store; the store copy stays intact);
 *   2. a tiny shared library defines the two C23 functions by calling strtol/strtoul, and is
 *      preloaded (LD_PRELOAD) into the fuzzing process.
 * Nothing is done where glibc is 2.38 or newer.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const MISSING_VERSIONS = new Set(['GLIBC_2.38', 'GLIBCXX_3.4.32']);
const SHT_GNU_VERNEED = 0x6ffffffe;
const SHT_GNU_VERSYM = 0x6fffffff;
const VER_FLG_WEAK = 2;
const VER_NDX_GLOBAL = 1;

const SHIM_SOURCE = `#include <stdlib.h>
long __isoc23_strtol(const char *s, char **end, int base) { return strtol(s, end, base); }
unsigned long __isoc23_strtoul(const char *s, char **end, int base) { return strtoul(s, end, base); }
`;

/** glibc's version as [major, minor], or null off glibc. */
export function glibcVersion(): [number, number] | null {
  const header = (process.report.getReport() as { header: { glibcVersionRuntime?: string } })
    .header;
  const v = header.glibcVersionRuntime;
  if (v === undefined) return null;
  const [major, minor] = v.split('.').map(Number);
  return [major, minor];
}

export function needsCompat(): boolean {
  const v = glibcVersion();
  return process.platform === 'linux' && v !== null && (v[0] < 2 || (v[0] === 2 && v[1] < 38));
}

/** Where the addon that @jazzer.js/core loads lies (pnpm keeps it out of the root). */
export function prebuiltPath(root: string): string {
  const core = createRequire(join(root, 'package.json')).resolve('@jazzer.js/core/package.json');
  const fuzzer = createRequire(core).resolve('@jazzer.js/fuzzer/package.json');
  return join(dirname(fuzzer), 'prebuilds', `fuzzer-${process.platform}-${process.arch}.node`);
}

interface Section {
  type: number;
  offset: number;
  size: number;
  link: number;
  info: number;
}

function sections(elf: Buffer): Section[] {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) {
    throw new Error('not a little-endian 64-bit ELF file');
  }
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const out: Section[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    out.push({
      type: elf.readUInt32LE(o + 4),
      offset: Number(elf.readBigUInt64LE(o + 0x18)),
      size: Number(elf.readBigUInt64LE(o + 0x20)),
      link: elf.readUInt32LE(o + 0x28),
      info: elf.readUInt32LE(o + 0x2c),
    });
  }
  return out;
}

/**
 * Marks the missing version needs weak and unversions their symbols, in place in `elf`.
 * Returns how many version needs it made weak and how many symbol versions it cleared (both 0:
 * nothing to do, e.g. already patched).
 */
export function weakenVersionNeeds(
  elf: Buffer,
  missing = MISSING_VERSIONS,
): { needs: number; symbols: number } {
  const secs = sections(elf);
  const verneed = secs.find((s) => s.type === SHT_GNU_VERNEED);
  const versym = secs.find((s) => s.type === SHT_GNU_VERSYM);
  if (verneed === undefined || versym === undefined) return { needs: 0, symbols: 0 };
  const strtab = secs[verneed.link];
  const name = (off: number): string => {
    const start = strtab.offset + off;
    return elf.toString('latin1', start, elf.indexOf(0, start));
  };
  const indexes = new Set<number>();
  let needs = 0;
  // Elf64_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32;
  // Elf64_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32.
  let vn = verneed.offset;
  for (let n = 0; n < verneed.info; n++) {
    let aux = vn + elf.readUInt32LE(vn + 8);
    for (let a = elf.readUInt16LE(vn + 2); a > 0; a--) {
      if (missing.has(name(elf.readUInt32LE(aux + 8)))) {
        const flags = elf.readUInt16LE(aux + 4);
        if ((flags & VER_FLG_WEAK) === 0) {
          elf.writeUInt16LE(flags | VER_FLG_WEAK, aux + 4);
          needs++;
        }
        indexes.add(elf.readUInt16LE(aux + 6));
      }
      aux += elf.readUInt32LE(aux + 12);
    }
    vn += elf.readUInt32LE(vn + 12);
  }
  // A symbol that kept its version would still be looked up under the missing tag.
  let symbols = 0;
  for (let o = versym.offset; o < versym.offset + versym.size; o += 2) {
    if (indexes.has(elf.readUInt16LE(o) & 0x7fff)) {
      elf.writeUInt16LE(VER_NDX_GLOBAL, o);
      symbols++;
    }
  }
  return { needs, symbols };
}

/**
 * Prepares this machine to run jazzer and returns the environment the fuzzing process needs
 * (LD_PRELOAD of the shim), or {} when glibc is new enough.
 */
export function jazzerEnvironment(root: string): Record<string, string> {
  if (!needsCompat()) return {};
  const addon = prebuiltPath(root);
  const elf = readFileSync(addon);
  const changed = weakenVersionNeeds(elf);
  if (changed.needs + changed.symbols > 0) {
    const tmp = `${addon}.${process.pid}.tmp`;
    writeFileSync(tmp, elf);
    renameSync(tmp, addon);
  }
  const cache = join(root, 'node_modules', '.cache', 'slabcache-jazzer');
  const shim = join(cache, 'glibc-c23-strtol.so');
  if (!existsSync(shim)) {
    mkdirSync(cache, { recursive: true });
    const source = join(cache, 'glibc-c23-strtol.c');
    writeFileSync(source, SHIM_SOURCE);
    execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', `${shim}.tmp`, source]);
    renameSync(`${shim}.tmp`, shim);
  }
  const preload = process.env.LD_PRELOAD;
  return { LD_PRELOAD: preload ? `${shim}:${preload}` : shim };
}

/*
 * Replay a published draw record in the visitor's browser: ssj-draw-2 (current) and ssj-draw-1.
 *
 * The one source of these algorithms is their published text, docs/draw-algorithm.md (served on the
 * public site at /public/draws/algorithm/); this file implements it and nothing else, independently of
 * the server's Python (sampling/algorithm.py). SHA-256 (FIPS 180-4) is computed by the short function
 * below, because the browser's own crypto.subtle.digest costs 20–60 µs a call in a thread hop and a province
 * record needs ~370,000 digests; the browser's Web Crypto remains the judge: before a verdict, the known
 * answers of FIPS 180-4 and one ticket in every CHECK_EVERY of this record (with the first and last of every
 * batch) are recomputed by crypto.subtle.digest and must be equal, else the replay stops with an error.
 * Tickets are read as big-endian integers with BigInt. No server computation, no third-party code.
 *
 * window.ssjDraw exposes: replay(record, onProgress) -> outcome (the JSON `python -m sampling.verify`
 * prints), compare(replayed, published) -> per-stratum differences, parseRecord(text, maxBytes), and
 * RecordError. A page element with data-draw-replay is wired up on load (no inline script: CSP).
 */
(function () {
  "use strict";

  var ALGORITHM_V1 = "ssj-draw-1";
  var ALGORITHM_V2 = "ssj-draw-2";
  var ALGORITHMS = [ALGORITHM_V1, ALGORITHM_V2];
  var TEAM_LABEL = "team";
  var MIN_TEAM_SIZE = 2;
  var MAX_WEIGHT = 1000;
  var BATCH = 8192; // hashes computed before the page gets the hand back (progress bar)
  var CHECK_EVERY = 97; // one ticket in CHECK_EVERY is also hashed by the browser's Web Crypto and compared

  function RecordError(message) {
    this.name = "RecordError";
    this.message = message;
    this.stack = new Error(message).stack;
  }
  RecordError.prototype = Object.create(Error.prototype);
  RecordError.prototype.constructor = RecordError;

  function UnstaffableError(enterprise, found, needed) {
    this.name = "UnstaffableError";
    this.enterprise = enterprise;
    this.message = "Not enough eligible inspectors for enterprise " + enterprise + ": found " + found + " of " + needed;
  }
  UnstaffableError.prototype = Object.create(Error.prototype);
  UnstaffableError.prototype.constructor = UnstaffableError;

  // ------------------------------------------------------------------ primitives

  var encoder = new TextEncoder();

  function toHex(buffer) {
    var view = new DataView(buffer);
    var out = "";
    for (var i = 0; i < 32; i += 4) out += (view.getUint32(i) + 0x100000000).toString(16).slice(1);
    return out;
  }

  // SHA-256 by the browser's Web Crypto, as 64 lowercase hex digits: the judge of sha256Hex below.
  function subtleHex(text) {
    return crypto.subtle.digest("SHA-256", encoder.encode(text)).then(toHex);
  }

  // SHA-256 (FIPS 180-4 §6.2) of the UTF-8 text, as 64 lowercase hex digits. Hex strings of one length order
  // exactly as the big-endian integers they encode, so tickets are compared as such strings; BigInt reads
  // them for a modulo.
  var K = new Int32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]);
  var W = new Int32Array(64);
  var H = new Int32Array(8);
  var bytes = new Uint8Array(1024);
  var HEX = [];
  for (var byte = 0; byte < 256; byte++) HEX.push((byte + 0x100).toString(16).slice(1));

  function sha256Hex(text) {
    // UTF-8 bytes, padded: a 1 bit, zeros, and the length in bits as a 64-bit big-endian integer.
    var room = text.length * 3 + 72;
    if (bytes.length < room) bytes = new Uint8Array(room * 2);
    var n = encoder.encodeInto(text, bytes).written;
    var blocks = ((n + 8) >> 6) + 1;
    var end = blocks * 64;
    bytes[n] = 0x80;
    bytes.fill(0, n + 1, end);
    var bits = n * 8;
    bytes[end - 4] = bits >>> 24;
    bytes[end - 3] = (bits >>> 16) & 0xff;
    bytes[end - 2] = (bits >>> 8) & 0xff;
    bytes[end - 1] = bits & 0xff;
    bytes[end - 5] = Math.floor(n / 0x20000000); // the bits above 2^32 (texts stay far below)
    H[0] = 0x6a09e667; H[1] = 0xbb67ae85; H[2] = 0x3c6ef372; H[3] = 0xa54ff53a;
    H[4] = 0x510e527f; H[5] = 0x9b05688c; H[6] = 0x1f83d9ab; H[7] = 0x5be0cd19;
    for (var off = 0; off < end; off += 64) {
      var i, t1, t2, x, y;
      for (i = 0; i < 16; i++) {
        var p = off + i * 4;
        W[i] = (bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3];
      }
      for (i = 16; i < 64; i++) {
        x = W[i - 15];
        y = W[i - 2];
        W[i] =
          (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) +
          W[i - 7] +
          (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) +
          W[i - 16];
      }
      var a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
      for (i = 0; i < 64; i++) {
        t1 = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) +
          ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
        t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) +
          ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g;
        g = f;
        f = e;
        e = (d + t1) | 0;
        d = c;
        c = b;
        b = a;
        a = (t1 + t2) | 0;
      }
      H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += h;
    }
    var out = "";
    for (var k = 0; k < 8; k++) {
      var word = H[k];
      out += HEX[(word >>> 24) & 0xff] + HEX[(word >>> 16) & 0xff] + HEX[(word >>> 8) & 0xff] + HEX[word & 0xff];
    }
    return out;
  }

  function JudgeError(text, mine, theirs) {
    this.name = "JudgeError";
    this.message = "SHA-256 of " + JSON.stringify(text) + ": " + mine + " here, " + theirs + " by Web Crypto";
    this.stack = new Error(this.message).stack;
  }
  JudgeError.prototype = Object.create(Error.prototype);
  JudgeError.prototype.constructor = JudgeError;

  // Web Crypto recomputes the given texts; any digest that differs from sha256Hex's stops the replay.
  async function judge(texts, digests) {
    var theirs = await Promise.all(texts.map(subtleHex));
    for (var i = 0; i < texts.length; i++) {
      if (theirs[i] !== digests[i]) throw new JudgeError(texts[i], digests[i], theirs[i]);
    }
    return texts.length;
  }

  // FIPS 180-4's known answers (one block, two blocks) and texts of 55, 56, 64 and 119 bytes around the
  // padding boundaries, non-ASCII included: checked against Web Crypto before anything else.
  function selfTest() {
    var texts = [
      "",
      "abc",
      "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "a".repeat(55),
      "a".repeat(56),
      "a".repeat(64),
      "b".repeat(119),
      "2026年第二季度|重点|清潩河|𠀋|7",
    ];
    return judge(texts, texts.map(sha256Hex));
  }

  function ticketText(seed, label, id, j) {
    return seed + "|" + label + "|" + id + "|" + String(j);
  }

  // Strings in code point order (Python's str order), not JavaScript's UTF-16 code unit order: a surrogate
  // (U+D800–DFFF, half of a code point above U+FFFF) sorts after U+E000–U+FFFF.
  function fixSurrogate(c) {
    return c >= 0xe000 ? c - 0x800 : c + 0x2000;
  }
  function compareCodePoints(a, b) {
    if (a === b) return 0;
    var n = Math.min(a.length, b.length);
    for (var i = 0; i < n; i++) {
      var x = a.charCodeAt(i);
      var y = b.charCodeAt(i);
      if (x !== y) {
        if (x >= 0xd800 && y >= 0xd800) {
          x = fixSurrogate(x);
          y = fixSurrogate(y);
        }
        return x < y ? -1 : 1;
      }
    }
    return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
  }

  function byKeyThenId(a, b) {
    return a.key < b.key ? -1 : a.key > b.key ? 1 : compareCodePoints(a.id, b.id);
  }

  function yieldToPage() {
    return new Promise(function (resolve) {
      setTimeout(resolve, 0);
    });
  }

  // Hash many texts, BATCH at a time, reporting progress and letting the page breathe between batches. The
  // first and last text of every batch and one in CHECK_EVERY are handed to Web Crypto too (judged while the
  // next batch is hashed); all judgements are awaited before the hashes are returned.
  async function hashAll(texts, progress) {
    var out = new Array(texts.length);
    var judged = [];
    for (var start = 0; start < texts.length; start += BATCH) {
      var stop = Math.min(texts.length, start + BATCH);
      var sample = [];
      var digests = [];
      for (var i = start; i < stop; i++) {
        out[i] = sha256Hex(texts[i]);
        if (i === start || i === stop - 1 || i % CHECK_EVERY === 0) {
          sample.push(texts[i]);
          digests.push(out[i]);
        }
      }
      judged.push(judge(sample, digests));
      await progress.add(stop - start);
    }
    await Promise.all(judged);
    return out;
  }

  function Progress(total, callback) {
    this.total = Math.max(1, total);
    this.done = 0;
    this.callback = callback;
  }
  Progress.prototype.add = async function (n) {
    this.done += n;
    if (this.callback) this.callback(Math.min(this.done, this.total), this.total);
    await yieldToPage();
  };
  Progress.prototype.grow = function (n) {
    this.total += n;
  };

  // ------------------------------------------------------------------ record validation (same rules and
  // messages as the Python verifier)

  function isInt(value, minimum) {
    return typeof value === "number" && Number.isInteger(value) && value >= minimum;
  }
  function isText(value) {
    return typeof value === "string" && value !== "";
  }
  function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }
  function repr(value) {
    if (typeof value === "string") return "'" + value.replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";
    if (value === null || value === undefined) return "None";
    if (value === true) return "True";
    if (value === false) return "False";
    return JSON.stringify(value);
  }
  function requireObject(value, path) {
    if (!isObject(value)) throw new RecordError(path + " must be an object");
    return value;
  }
  function requireList(value, path, nonEmpty) {
    if (!Array.isArray(value)) throw new RecordError(path + " must be a list");
    if (nonEmpty && value.length === 0) throw new RecordError(path + " must be a non-empty list");
    return value;
  }
  function requireKeys(obj, path, keys) {
    for (var i = 0; i < keys.length; i++) {
      if (!Object.prototype.hasOwnProperty.call(obj, keys[i])) {
        throw new RecordError((path ? path + "." : "") + keys[i] + " is missing");
      }
    }
  }

  function unknownAlgorithm(name) {
    return "algorithm " + repr(name) + " is unknown: this verifier replays " + ALGORITHMS.map(repr).join(" and ");
  }

  function validateRecord(record) {
    requireObject(record, "record");
    requireKeys(record, "", ["algorithm", "seed", "strata", "inspectors"]);
    if (ALGORITHMS.indexOf(record.algorithm) < 0) throw new RecordError(unknownAlgorithm(record.algorithm));
    if (!isText(record.seed)) throw new RecordError("seed must be a non-empty string");
    var labels = new Set();
    var owner = new Map();
    requireList(record.strata, "strata", true).forEach(function (stratum, s) {
      var path = "strata[" + s + "]";
      requireObject(stratum, path);
      requireKeys(stratum, path, ["label", "count", "members"]);
      if (!isText(stratum.label)) throw new RecordError(path + ".label must be a non-empty string");
      if (labels.has(stratum.label)) throw new RecordError(path + ".label " + repr(stratum.label) + " is duplicated");
      labels.add(stratum.label);
      if (!isInt(stratum.count, 0)) throw new RecordError(path + ".count must be an integer >= 0");
      requireList(stratum.members, path + ".members").forEach(function (member, m) {
        var mpath = path + ".members[" + m + "]";
        requireObject(member, mpath);
        requireKeys(member, mpath, ["id", "weight"]);
        if (!isText(member.id)) throw new RecordError(mpath + ".id must be a non-empty string");
        if (!isInt(member.weight, 1)) throw new RecordError(mpath + ".weight must be an integer >= 1");
        if (member.weight > MAX_WEIGHT) throw new RecordError(mpath + ".weight must be at most " + MAX_WEIGHT);
        if (owner.has(member.id)) {
          var first = owner.get(member.id);
          var where = first[0] === s ? "twice in strata[" + s + "]" : "in two strata";
          throw new RecordError(
            mpath + ".id " + repr(member.id) + " is " + where + " (also at strata[" + first[0] + "].members[" + first[1] + "])"
          );
        }
        owner.set(member.id, [s, m]);
      });
    });
    var inspectors = requireObject(record.inspectors, "inspectors");
    requireKeys(inspectors, "inspectors", ["pool", "team_size", "max_per_inspector", "exclusions"]);
    var seen = new Set();
    requireList(inspectors.pool, "inspectors.pool").forEach(function (code, i) {
      if (!isText(code)) throw new RecordError("inspectors.pool[" + i + "] must be a non-empty string");
      if (seen.has(code)) throw new RecordError("inspectors.pool[" + i + "] " + repr(code) + " is duplicated");
      seen.add(code);
    });
    if (!isInt(inspectors.team_size, MIN_TEAM_SIZE)) {
      throw new RecordError("inspectors.team_size must be an integer >= " + MIN_TEAM_SIZE);
    }
    if (!isInt(inspectors.max_per_inspector, 1)) throw new RecordError("inspectors.max_per_inspector must be an integer >= 1");
    requireList(inspectors.exclusions, "inspectors.exclusions").forEach(function (pair, x) {
      if (!(Array.isArray(pair) && pair.length === 2 && isText(pair[0]) && isText(pair[1]))) {
        throw new RecordError(
          "inspectors.exclusions[" + x + "] must be a pair [enterprise_id, inspector_code] of non-empty strings"
        );
      }
      if (!seen.has(pair[1])) {
        throw new RecordError(
          "inspectors.exclusions[" + x + "] names inspector " + repr(pair[1]) + ", who is not in inspectors.pool"
        );
      }
    });
  }

  // ------------------------------------------------------------------ selection

  // Members ordered by (key, id), key = smallest ticket(seed, label, id, j) over j = 1..weight.
  async function rankStratum(seed, stratum, progress) {
    var texts = [];
    var owners = [];
    stratum.members.forEach(function (member, index) {
      for (var j = 1; j <= member.weight; j++) {
        texts.push(ticketText(seed, stratum.label, member.id, j));
        owners.push(index);
      }
    });
    var tickets = await hashAll(texts, progress);
    var keyed = stratum.members.map(function (member) {
      return { key: null, id: member.id };
    });
    for (var t = 0; t < tickets.length; t++) {
      var entry = keyed[owners[t]];
      if (entry.key === null || tickets[t] < entry.key) entry.key = tickets[t];
    }
    keyed.sort(byKeyThenId);
    var ids = keyed.map(function (entry) {
      return entry.id;
    });
    return { selected: ids.slice(0, stratum.count), reserve: ids.slice(stratum.count) };
  }

  // ------------------------------------------------------------------ candidate orders and teams

  function byCodePoints(a, b) {
    return compareCodePoints(a, b);
  }

  // ssj-draw-2: Fisher–Yates from the front over the pool sorted by code; step k swaps position k with
  // k + (ticket(seed, "team", e, k) mod (n − k)), and the inspector then at k is the k-th candidate.
  // Only as many steps as needed are taken. `first` holds the tickets of the first steps, hashed in advance.
  function ShuffleV2(seed, enterprise, sortedPool, first) {
    this.seed = seed;
    this.enterprise = enterprise;
    this.pool = sortedPool;
    this.moved = new Map();
    this.k = 0;
    this.first = first;
  }
  // A ticket beyond the first steps (few: exclusions and full workloads), judged by Web Crypto one by one.
  ShuffleV2.prototype.ticket = async function (k) {
    var text = ticketText(this.seed, TEAM_LABEL, this.enterprise, k);
    var hex = sha256Hex(text);
    await judge([text], [hex]);
    return hex;
  };
  ShuffleV2.prototype.next = async function () {
    var n = this.pool.length;
    var k = this.k;
    if (k >= n) return null;
    var hex = k < this.first.length ? this.first[k] : await this.ticket(k);
    var r = k + Number(BigInt("0x" + hex) % BigInt(n - k));
    var atK = this.moved.has(k) ? this.moved.get(k) : this.pool[k];
    this.moved.delete(k);
    var atR = atK;
    if (r !== k) {
      atR = this.moved.has(r) ? this.moved.get(r) : this.pool[r];
      this.moved.set(r, atK);
    }
    this.k = k + 1;
    return atR;
  };

  // ssj-draw-1: the pool ordered by (ticket(seed, "team", e, code), code).
  function OrderV1(codes) {
    this.codes = codes;
    this.k = 0;
  }
  OrderV1.prototype.next = async function () {
    return this.k < this.codes.length ? this.codes[this.k++] : null;
  };

  async function assignTeams(record, selected, progress) {
    var seed = record.seed;
    var inspectors = record.inspectors;
    var pool = inspectors.pool;
    var teamSize = inspectors.team_size;
    var cap = inspectors.max_per_inspector;
    var load = new Map();
    pool.forEach(function (code) {
      load.set(code, 0);
    });
    var excluded = new Map();
    inspectors.exclusions.forEach(function (pair) {
      if (!excluded.has(pair[0])) excluded.set(pair[0], new Set());
      excluded.get(pair[0]).add(pair[1]);
    });
    var nobody = new Set();
    var orders;
    if (record.algorithm === ALGORITHM_V2) {
      var sortedPool = pool.slice().sort(byCodePoints);
      // The first few steps of every shuffle, hashed in batches (they do not depend on the workloads).
      var ahead = Math.min(pool.length, teamSize + 2);
      var texts = [];
      selected.forEach(function (e) {
        for (var k = 0; k < ahead; k++) texts.push(ticketText(seed, TEAM_LABEL, e, k));
      });
      var tickets = await hashAll(texts, progress);
      orders = selected.map(function (e, i) {
        return new ShuffleV2(seed, e, sortedPool, tickets.slice(i * ahead, (i + 1) * ahead));
      });
    } else {
      var all = [];
      selected.forEach(function (e) {
        pool.forEach(function (code) {
          all.push(ticketText(seed, TEAM_LABEL, e, code));
        });
      });
      var keys = await hashAll(all, progress);
      orders = selected.map(function (e, i) {
        var keyed = pool.map(function (code, c) {
          return { key: keys[i * pool.length + c], id: code };
        });
        keyed.sort(byKeyThenId);
        return new OrderV1(
          keyed.map(function (entry) {
            return entry.id;
          })
        );
      });
    }
    var teams = {};
    for (var i = 0; i < selected.length; i++) {
      var enterprise = selected[i];
      var barred = excluded.get(enterprise) || nobody;
      var team = [];
      var order = orders[i];
      while (team.length < teamSize) {
        var code = await order.next();
        if (code === null) break;
        if (barred.has(code) || load.get(code) >= cap) continue;
        team.push(code);
      }
      if (team.length < teamSize) throw new UnstaffableError(enterprise, team.length, teamSize);
      team.forEach(function (member) {
        load.set(member, load.get(member) + 1);
      });
      teams[enterprise] = team;
      if (i % 2000 === 1999) await yieldToPage();
    }
    return teams;
  }

  // ------------------------------------------------------------------ replay

  async function replay(record, onProgress) {
    validateRecord(record);
    await selfTest();
    var hashes = 0;
    record.strata.forEach(function (stratum) {
      stratum.members.forEach(function (member) {
        hashes += member.weight;
      });
    });
    var selectedCount = record.strata.reduce(function (sum, stratum) {
      return sum + Math.min(stratum.count, stratum.members.length);
    }, 0);
    var pool = record.inspectors.pool.length;
    var perTeam = record.algorithm === ALGORITHM_V2 ? Math.min(pool, record.inspectors.team_size + 2) : pool;
    var progress = new Progress(hashes + selectedCount * perTeam, onProgress);
    var strata = [];
    var selected = [];
    for (var s = 0; s < record.strata.length; s++) {
      var stratum = record.strata[s];
      var ranked = await rankStratum(record.seed, stratum, progress);
      strata.push({ label: stratum.label, selected: ranked.selected, reserve: ranked.reserve });
      selected = selected.concat(ranked.selected);
    }
    var teams = await assignTeams(record, selected, progress);
    return { algorithm: record.algorithm, strata: strata, teams: teams };
  }

  // ------------------------------------------------------------------ comparison with the published result

  function firstDifference(a, b) {
    var n = Math.max(a.length, b.length);
    for (var i = 0; i < n; i++) if (a[i] !== b[i]) return i;
    return -1;
  }

  // Stratum by stratum: {label, ok, problems: [{what, index, replayed, published}]}; problems name the
  // list ("selected", "reserve", "team", "stratum", "algorithm") and the first position that differs.
  function compare(replayed, published) {
    var rows = [];
    var count = Math.max(replayed.strata.length, published.strata.length);
    var ok = replayed.algorithm === published.algorithm;
    var head = ok ? [] : [{ what: "algorithm", replayed: replayed.algorithm, published: published.algorithm }];
    for (var s = 0; s < count; s++) {
      var mine = replayed.strata[s];
      var theirs = published.strata[s];
      var row = { label: (mine || theirs).label, problems: [], selected: 0, reserve: 0, teams: 0 };
      if (!mine || !theirs || mine.label !== theirs.label) {
        row.problems.push({ what: "stratum", replayed: mine ? mine.label : null, published: theirs ? theirs.label : null });
      } else {
        row.selected = mine.selected.length;
        row.reserve = mine.reserve.length;
        ["selected", "reserve"].forEach(function (what) {
          var i = firstDifference(mine[what], theirs[what] || []);
          if (i >= 0) {
            row.problems.push({ what: what, index: i, replayed: mine[what][i], published: (theirs[what] || [])[i] });
          }
        });
        var enterprises = mine.selected.slice();
        var listed = new Set(enterprises);
        (theirs.selected || []).forEach(function (e) {
          if (!listed.has(e)) enterprises.push(e);
        });
        enterprises.forEach(function (e) {
          var a = replayed.teams[e] || [];
          var b = (published.teams || {})[e] || [];
          if (firstDifference(a, b) >= 0) {
            row.problems.push({ what: "team", enterprise: e, replayed: a.join(", "), published: b.join(", ") });
          } else {
            row.teams += 1;
          }
        });
      }
      row.ok = row.problems.length === 0;
      ok = ok && row.ok;
      rows.push(row);
    }
    return { ok: ok, problems: head, strata: rows };
  }

  // ------------------------------------------------------------------ reading a downloaded record

  function parseRecord(text, maxBytes) {
    if (maxBytes && text.length > maxBytes) throw new RecordError("oversized");
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new RecordError("invalid JSON: " + error.message);
    }
  }

  // ------------------------------------------------------------------ the page

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match;
    });
  }

  async function fetchText(url, maxBytes, messages) {
    var response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new RecordError(format(messages.download_failed, { status: response.status }));
    var length = Number(response.headers.get("Content-Length") || 0);
    if (maxBytes && length > maxBytes) throw new RecordError(format(messages.oversized, { max: maxBytes }));
    var text = await response.text();
    if (maxBytes && text.length > maxBytes) throw new RecordError(format(messages.oversized, { max: maxBytes }));
    return text;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function describe(problem, messages) {
    if (problem.what === "team") {
      return format(messages.team_differs, { enterprise: problem.enterprise, replayed: problem.replayed || "—", published: problem.published || "—" });
    }
    if (problem.what === "stratum" || problem.what === "algorithm") {
      return format(messages[problem.what + "_differs"], { replayed: problem.replayed || "—", published: problem.published || "—" });
    }
    return format(messages[problem.what + "_differs"], {
      position: problem.index + 1,
      replayed: problem.replayed || "—",
      published: problem.published || "—",
    });
  }

  function showReport(box, report, messages) {
    var target = box.querySelector("[data-replay-report]");
    target.textContent = "";
    var verdict = element(
      "p",
      "verdict " + (report.ok ? "verdict-pass" : "verdict-fail"),
      report.ok ? "✔ " + messages.passed : "✘ " + messages.failed
    );
    verdict.setAttribute("data-replay-verdict", report.ok ? "pass" : "fail");
    target.appendChild(verdict);
    report.problems.forEach(function (problem) {
      target.appendChild(element("p", "check-fail", describe(problem, messages)));
    });
    var list = element("ol", "checks");
    report.strata.forEach(function (row) {
      var item = element("li", row.ok ? "check-pass" : "check-fail");
      item.setAttribute("data-stratum", row.label);
      item.appendChild(element("strong", "", (row.ok ? "✔ " : "✘ ") + row.label));
      item.appendChild(document.createTextNode(" — "));
      item.appendChild(
        document.createTextNode(
          row.ok
            ? format(messages.stratum_ok, { selected: row.selected, reserve: row.reserve, teams: row.teams })
            : messages.stratum_differs_here
        )
      );
      if (!row.ok) {
        var details = element("ul");
        row.problems.forEach(function (problem) {
          details.appendChild(element("li", "mono", describe(problem, messages)));
        });
        item.appendChild(details);
      }
      list.appendChild(item);
    });
    target.appendChild(list);
  }

  async function run(box, messages) {
    var button = box.querySelector("[data-replay-start]");
    var bar = box.querySelector("progress");
    var status = box.querySelector("[data-replay-status]");
    var target = box.querySelector("[data-replay-report]");
    var maxBytes = Number(box.getAttribute("data-max-bytes")) || 0;
    button.disabled = true;
    target.textContent = "";
    bar.hidden = false;
    bar.removeAttribute("value");
    status.textContent = messages.downloading;
    box.setAttribute("data-replay-state", "running");
    var started = performance.now();
    try {
      var text = await fetchText(box.getAttribute("data-record-url"), maxBytes, messages);
      var record;
      try {
        record = parseRecord(text, maxBytes);
      } catch (error) {
        throw new RecordError(error.message === "oversized" ? format(messages.oversized, { max: maxBytes }) : messages.malformed_json);
      }
      if (isObject(record) && Object.prototype.hasOwnProperty.call(record, "algorithm") && ALGORITHMS.indexOf(record.algorithm) < 0) {
        throw new RecordError(format(messages.unknown_algorithm, { name: String(record.algorithm), known: ALGORITHMS.join("、") }));
      }
      var published = JSON.parse(await fetchText(box.getAttribute("data-result-url"), maxBytes, messages));
      status.textContent = messages.replaying;
      bar.max = 100;
      bar.value = 0;
      var replayed;
      try {
        replayed = await replay(record, function (done, total) {
          bar.value = Math.floor((100 * done) / total);
          status.textContent = format(messages.progress, { done: done, total: total });
        });
      } catch (error) {
        if (error instanceof RecordError || error instanceof UnstaffableError) {
          throw new RecordError(format(messages.malformed, { detail: error.message }));
        }
        throw error;
      }
      bar.value = 100;
      showReport(box, compare(replayed, published), messages);
      status.textContent = format(messages.finished, { seconds: ((performance.now() - started) / 1000).toFixed(1) });
      box.setAttribute("data-replay-state", "done");
    } catch (error) {
      target.textContent = "";
      var message =
        error instanceof RecordError
          ? error.message
          : error instanceof JudgeError
            ? format(messages.judge, { detail: error.message })
            : format(messages.error, { detail: String(error && error.message) });
      var refusal = element("p", "verdict verdict-fail", message);
      refusal.setAttribute("data-replay-error", "");
      target.appendChild(refusal);
      status.textContent = "";
      bar.hidden = true;
      box.setAttribute("data-replay-state", "error");
    } finally {
      button.disabled = false;
    }
  }

  function wire() {
    var boxes = document.querySelectorAll("[data-draw-replay]");
    for (var i = 0; i < boxes.length; i++) {
      (function (box) {
        var source = document.getElementById(box.getAttribute("data-messages"));
        var messages = source ? JSON.parse(source.textContent) : {};
        var button = box.querySelector("[data-replay-start]");
        if (!button) return;
        button.hidden = false;
        button.addEventListener("click", function () {
          run(box, messages);
        });
      })(boxes[i]);
    }
  }

  window.ssjDraw = {
    ALGORITHMS: ALGORITHMS,
    RecordError: RecordError,
    JudgeError: JudgeError,
    sha256Hex: sha256Hex,
    UnstaffableError: UnstaffableError,
    validateRecord: validateRecord,
    replay: replay,
    compare: compare,
    parseRecord: parseRecord,
    compareCodePoints: compareCodePoints,
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareNames, nameWords } from '../../../../domain/text/personName.ts';
import { randomName, seededRandom } from './nameGenerator.ts';

/** Every person here is made up; the names are common Indonesian given names and family names. */

const agree = (a: string, b: string) => compareNames(a, b);
const assertMatch = (a: string, b: string, agreement?: string) => {
  const result = agree(a, b);
  assert.equal(result.outcome, 'match', `${a} | ${b}`);
  if (agreement !== undefined && result.outcome === 'match') assert.equal(result.agreement, agreement, `${a} | ${b}`);
};
const assertMismatch = (a: string, b: string) => assert.equal(agree(a, b).outcome, 'mismatch', `${a} | ${b}`);

describe('nameWords', () => {
  it('should set titles before and degrees after the name aside, however they are punctuated', () => {
    const letters = (name: string) => nameWords(name).map((word) => word.letters);
    assert.deepEqual(letters('PROF. DR. H. M. RIZKY, S.T., M.T.'), ['M', 'RIZKY']);
    assert.deepEqual(letters('HJ SITI CONTOH SE'), ['SITI', 'CONTOH']);
    assert.deepEqual(letters('K.H. AHMAD CONTOH'), ['AHMAD', 'CONTOH']);
    assert.deepEqual(letters('CONTOH WATI, A.MD.KEB'), ['CONTOH', 'WATI']);
    assert.deepEqual(letters('BUDI CONTOH S. KOM'), ['BUDI', 'CONTOH']);
    assert.deepEqual(letters('DR.BUDI CONTOH,S.KOM.,M.KOM'), ['BUDI', 'CONTOH']);
  });

  it('should keep a title that is the whole name, and undotted trailing initials', () => {
    assert.deepEqual(
      nameWords('DR').map((word) => word.letters),
      ['DR'],
    );
    // `M A` without dots are initials, not the degree M.A.
    assert.deepEqual(
      nameWords('RIZKY M A').map((word) => word.letters),
      ['RIZKY', 'M', 'A'],
    );
  });

  it('should drop apostrophes, accents and the BIN/BINTI of a patronymic', () => {
    assert.deepEqual(
      nameWords("MA'RUF BIN CONTOH").map((word) => word.letters),
      ['MARUF', 'CONTOH'],
    );
    assert.deepEqual(
      nameWords('JOSÉ CONTOH').map((word) => word.letters),
      ['JOSE', 'CONTOH'],
    );
  });
});

describe('compareNames', () => {
  it('should find the same name exact whatever the case, spacing, punctuation and titles', () => {
    assertMatch('BUDI SANTOSO', 'budi  santoso', 'exact');
    assertMatch('H. BUDI SANTOSO, S.KOM', 'BUDI SANTOSO', 'exact');
    assertMatch('DR. IR. BUDI SANTOSO, M.M.', 'BUDI SANTOSO S.E.', 'exact');
    assertMatch('HJ. SITI AMINAH', 'SITI AMINAH', 'exact');
  });

  it('should see through the characters the recogniser confuses', () => {
    for (const [printed, read] of [
      ['BUDI SANTOSO', '8UDI 5ANT0S0'],
      ['ALI IMRON', 'AL1 1MR0N'],
      ['LILIS SURYANI', 'IILIS SURYANI'],
      ['DEWI LESTARI', 'DEWI LESTAR|'],
      ['GALIH PRAKOSO', '6ALIH PRAK0SO'],
      ['ZAINAL ARIFIN', '2AINAL ARIFIN'],
    ])
      assertMatch(printed as string, read as string, 'close');
  });

  it('should allow a lost or swapped letter in a longer word, and a lost or added space', () => {
    assertMatch('KURNIAWATI SUSANTO', 'KURNIAWAT SUSANTO', 'close');
    assertMatch('MUHAMMAD RIZKY PRATAMA', 'MUHAMMADRIZKY PRATAMA', 'close');
    assertMatch('SITI NURHALIZA', 'SITI NUR HALIZA', 'close');
    assertMatch('ANDI WIJAYA KUSUMA', 'ANDIWIJAYAKUSUMA', 'close');
  });

  it('should take the old spellings and doubled letters for the same name', () => {
    assertMatch('SOEKARNO', 'SUKARNO', 'close');
    assertMatch('DJOKO SUSILO', 'JOKO SUSILO', 'close');
    assertMatch('TJAHJO KUMOLO', 'CAHJO KUMOLO', 'close');
    assertMatch('ABDULLAH SJAHRIR', 'ABDULAH SYAHRIR', 'close');
    assertMatch('RACHMAT HIDAYAT', 'RAKHMAT HIDAYAT', 'close');
  });

  it('should accept initials and the short forms of MUHAMMAD, AHMAD, ABDUL and SITI', () => {
    for (const short of ['M.', 'M', 'MOH', 'MOH.', 'MOHD', 'MUH', 'MUH.', 'MHD', 'MOCH.', 'MOHAMMAD', 'MUHAMAD'])
      assertMatch('MUHAMMAD RIZKY PRATAMA', `${short} RIZKY PRATAMA`);
    assertMatch('MUHAMMAD RIZKY PRATAMA', 'M. RIZKY PRATAMA', 'abbreviated');
    assertMatch('ACHMAD FAUZI', 'AHMAD FAUZI', 'abbreviated');
    assertMatch('ABDUL HAKIM', 'ABD. HAKIM', 'abbreviated');
    assertMatch('SITI AMINAH', 'ST. AMINAH', 'abbreviated');
    assertMatch('RIZKY MAULANA', 'RIZKY M.', 'abbreviated');
    assertMatch('BUDI SANTOSO WIBOWO', 'BUDI S. WIBOWO', 'abbreviated');
    assertMatch('SYAMSUL BAHRI', 'SYAMS. BAHRI', 'abbreviated');
  });

  it('should accept a middle or first name left out on one card', () => {
    assertMatch('RIZKY ADI PRATAMA', 'RIZKY PRATAMA', 'abbreviated');
    assertMatch('MUHAMMAD RIZKY PRATAMA', 'RIZKY PRATAMA', 'abbreviated');
    assertMatch('BUDI SANTOSO', 'BUDI SANTOSO WIBOWO', 'abbreviated');
    assertMatch('H. M. RIZKY PRATAMA, S.T.', 'MUHAMMAD RIZKY ADI PRATAMA', 'abbreviated');
  });

  it('should not match different people', () => {
    assertMismatch('BUDI SANTOSO', 'AGUS SANTOSO');
    assertMismatch('SITI AMINAH', 'SITI RAHAYU');
    assertMismatch('DEWI LESTARI', 'RINA LESTARI');
    assertMismatch('BUDI SANTOSO', 'SANTOSO BUDI');
    assertMismatch('AGUS', 'HENDRA');
  });

  it('should not match on a common first name or initials alone', () => {
    assertMismatch('MUHAMMAD', 'MUHAMMAD RIZKY');
    assertMismatch('SITI', 'SITI AMINAH');
    assertMismatch('MUHAMMAD RIZKY', 'MUHAMMAD FAJAR');
  });

  it('should not match a name that accounts for less than half of the other', () => {
    assertMismatch('BUDI', 'BUDI SANTOSO WIBOWO');
    assertMatch('BUDI', 'BUDI SANTOSO');
  });

  it('should say when a name has nothing to compare', () => {
    assert.deepEqual(compareNames('.', 'BUDI'), { outcome: 'unreadable' });
    assert.deepEqual(compareNames('BUDI', '- -'), { outcome: 'unreadable' });
    assert.deepEqual(compareNames('M.', 'MUHAMMAD'), { outcome: 'unreadable' });
    // Initials alone: whose they are cannot be told.
    assert.deepEqual(compareNames('M. R. P.', 'MUHAMMAD RIZKY PRATAMA'), { outcome: 'unreadable' });
  });

  describe('properties (seeded random names)', () => {
    const random = seededRandom(19);
    const names = Array.from({ length: 300 }, () => randomName(random));

    it('should find every name exactly equal to itself, and agree in both directions', () => {
      for (const name of names) assertMatch(name, name, 'exact');
      for (let index = 1; index < names.length; index++) {
        const [a, b] = [names[index - 1] as string, names[index] as string];
        assert.deepEqual(compareNames(a, b).outcome, compareNames(b, a).outcome, `${a} | ${b}`);
      }
    });

    it('should match a name after any titles, case and spacing changes', () => {
      const prefixes = ['H.', 'HJ.', 'DR.', 'IR.', 'PROF. DR.', 'DRS.'];
      const suffixes = [', S.KOM', ', S.H.', ' S.E.', ', M.M.', ', S.T., M.T.', ', A.MD'];
      names.forEach((name, index) => {
        const titled = `${prefixes[index % prefixes.length]} ${name.toLowerCase()}${suffixes[index % suffixes.length]}`;
        assertMatch(name, titled, 'exact');
      });
    });

    it('should match a name read with look-alike characters', () => {
      const misread: Record<string, string> = { O: '0', I: '1', S: '5', B: '8', Z: '2', G: '6', L: '1' };
      for (const name of names) {
        const noisy = [...name].map((char) => (misread[char] !== undefined && random() < 0.5 ? misread[char] : char));
        assertMatch(name, noisy.join(''));
      }
    });

    it('should match a name with one word but the last cut to its initial', () => {
      for (const name of names) {
        const words = name.split(' ');
        if (words.length < 2) continue;
        const at = Math.floor(random() * (words.length - 1));
        const short = words.map((word, index) => (index === at ? `${word[0]}.` : word)).join(' ');
        assertMatch(name, short);
      }
    });

    it('should not match two names that share no word', () => {
      for (let index = 1; index < names.length; index++) {
        const a = names[index - 1] as string;
        const b = names[index] as string;
        const shared = a.split(' ').some((word) => b.split(' ').includes(word));
        if (!shared) assertMismatch(a, b);
      }
    });
  });
});

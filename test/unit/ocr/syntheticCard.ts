import sharp from 'sharp';

/**
 * Test fixtures drawn at test time: a KTP-like card (1000×630, light card colour, black DejaVu
 * Sans) with synthetic values only. No real person's data, no stored images.
 */

export type CardField = { label: string; value: string };

export const CARD_FIELDS: CardField[] = [
  { label: 'NIK', value: '3171014101900001' },
  { label: 'Nama', value: 'BUDI SANTOSO' },
  { label: 'Tempat/Tgl Lahir', value: 'JAKARTA, 01-01-1990' },
  { label: 'Jenis Kelamin', value: 'LAKI-LAKI' },
  { label: 'Alamat', value: 'JL. MAWAR NO. 12' },
  { label: 'RT/RW', value: '001/002' },
  { label: 'Kel/Desa', value: 'KEBAYORAN LAMA' },
  { label: 'Kecamatan', value: 'KEBAYORAN BARU' },
  { label: 'Agama', value: 'ISLAM' },
  { label: 'Status Perkawinan', value: 'BELUM KAWIN' },
  { label: 'Pekerjaan', value: 'KARYAWAN SWASTA' },
  { label: 'Kewarganegaraan', value: 'WNI' },
  { label: 'Berlaku Hingga', value: 'SEUMUR HIDUP' },
];

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function cardSvg(fields: CardField[] = CARD_FIELDS, width = 1000, height = 630): string {
  const rows = fields
    .map((field, index) => {
      const y = 140 + index * 30;
      const size = field.label === 'NIK' ? 26 : 20;
      const weight = field.label === 'NIK' ? 'bold' : 'normal';
      return [
        `<text x="30" y="${y}" font-size="${size}" font-weight="${weight}">${escapeXml(field.label)}</text>`,
        `<text x="250" y="${y}" font-size="${size}" font-weight="${weight}">:</text>`,
        `<text x="268" y="${y}" font-size="${size}" font-weight="${weight}">${escapeXml(field.value)}</text>`,
      ].join('');
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
<rect width="100%" height="100%" fill="#d8e8f2"/>
<g font-family="DejaVu Sans" fill="#111">
<text x="500" y="48" font-size="26" font-weight="bold" text-anchor="middle">PROVINSI DKI JAKARTA</text>
<text x="500" y="84" font-size="24" font-weight="bold" text-anchor="middle">JAKARTA SELATAN</text>
${rows}
<rect x="770" y="120" width="190" height="240" fill="#9aa7b0"/>
<text x="865" y="400" font-size="18" text-anchor="middle">JAKARTA SELATAN</text>
<text x="865" y="426" font-size="18" text-anchor="middle">01-01-2020</text>
</g>
</svg>`;
}

/** The card as PNG bytes. */
export async function renderCard(fields?: CardField[]): Promise<Buffer> {
  return sharp(Buffer.from(cardSvg(fields)))
    .png()
    .toBuffer();
}

/** The card as JPEG bytes, optionally turned `degrees` clockwise in its pixels. */
export async function renderCardJpeg(degrees: 0 | 90 | 180 | 270 = 0, fields?: CardField[]): Promise<Buffer> {
  const png = await renderCard(fields);
  return sharp(png).rotate(degrees).jpeg({ quality: 90 }).toBuffer();
}

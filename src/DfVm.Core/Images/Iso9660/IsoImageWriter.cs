using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace DfVm.Core.Images.Iso9660
{
    /// <summary>
    /// Lays out and encodes an ISO 9660 image with Rock Ridge entries (no Joliet, no El Torito):
    /// system area, primary volume descriptor, terminator, L and M path tables, directory
    /// extents, one sector of SUSP continuation (the ER entry), file extents.
    /// </summary>
    internal sealed class IsoImageWriter
    {
        private const int S = IsoEncoding.SectorSize;
        private const int FirstPathTableSector = 18;
        private const uint PaddingSectors = 150;
        private const int DirectoryMode = RockRidge.ModeDirectory | 0x1ED; // 0755

        private readonly IsoDirectory _root;
        private readonly string _volumeId;
        private readonly DateTime _utc;
        private readonly byte[] _er = RockRidge.Er();

        public IsoImageWriter(IsoDirectory root, string volumeId, DateTime utc)
        {
            _root = root;
            _volumeId = volumeId;
            _utc = utc;
        }

        public byte[] Write()
        {
            var dirs = IsoTree.InPathTableOrder(_root);
            var pathTableSize = dirs.Sum(d => PathTableRecordSize(d));
            var pathTableSectors = IsoEncoding.Sectors(pathTableSize);
            var lPathTable = (uint)FirstPathTableSector;
            var mPathTable = lPathTable + pathTableSectors;

            // Record sizes do not depend on extents, so sizes first, then places. The CE
            // area goes after the directories: libarchive reads the disc front to back and
            // rejects a continuation that points behind the record it is reading.
            var next = mPathTable + pathTableSectors;
            foreach (var d in dirs)
            {
                d.SizeBytes = (uint)(IsoEncoding.Sectors(Pack(Records(d, 0)).Length) * S);
                d.Extent = next;
                next += d.SizeBytes / S;
            }
            var ceSector = next++;
            var files = dirs.SelectMany(d => d.Files).ToList();
            foreach (var f in files)
            {
                f.Extent = next;
                next += Math.Max(1u, IsoEncoding.Sectors(f.Content.Length)); // empty files get a sector of their own
            }
            // Trailing zero sectors, as mastering tools add: readers that read ahead (old CD
            // drivers, libburn's size probe) stay inside the image.
            var totalSectors = next + PaddingSectors;

            var image = new byte[(long)totalSectors * S];
            WritePrimaryDescriptor(image, totalSectors, (uint)pathTableSize, lPathTable, mPathTable);
            WriteTerminator(image, 17 * S);
            WritePathTable(image, (int)(lPathTable * S), dirs, bigEndian: false);
            WritePathTable(image, (int)(mPathTable * S), dirs, bigEndian: true);
            Buffer.BlockCopy(_er, 0, image, (int)(ceSector * S), _er.Length);
            foreach (var d in dirs)
            {
                var extent = Pack(Records(d, ceSector));
                Buffer.BlockCopy(extent, 0, image, (int)(d.Extent * S), extent.Length);
            }
            foreach (var f in files)
                Buffer.BlockCopy(f.Content, 0, image, (int)(f.Extent * S), f.Content.Length);
            return image;
        }

        private List<byte[]> Records(IsoDirectory d, uint ceSector)
        {
            var parent = d.Parent ?? d;
            var dotSu = new List<byte[]>();
            if (d.IsRoot)
            {
                dotSu.Add(RockRidge.Sp());
                dotSu.Add(RockRidge.Ce(ceSector, 0, (uint)_er.Length));
            }
            dotSu.Add(RockRidge.Px(DirectoryMode, Links(d)));
            dotSu.Add(RockRidge.Tf(_utc));

            var records = new List<byte[]>
            {
                Record(new byte[] { 0 }, d.Extent, d.SizeBytes, true, RockRidge.Concat(dotSu)),
                Record(new byte[] { 1 }, parent.Extent, parent.SizeBytes, true,
                    RockRidge.Concat(new[] { RockRidge.Px(DirectoryMode, Links(parent)), RockRidge.Tf(_utc) })),
            };

            var children = new List<(string id, byte[] record)>();
            foreach (var sub in d.Directories)
                children.Add((sub.IsoId, Record(Encoding.ASCII.GetBytes(sub.IsoId), sub.Extent, sub.SizeBytes, true,
                    RockRidge.Concat(new[] { RockRidge.Px(DirectoryMode, Links(sub)), RockRidge.Tf(_utc), RockRidge.Nm(sub.Name) }))));
            foreach (var f in d.Files)
                children.Add((f.IsoId, Record(Encoding.ASCII.GetBytes(f.IsoId + ";1"), f.Extent, (uint)f.Content.Length, false,
                    RockRidge.Concat(new[] { RockRidge.Px(RockRidge.ModeRegular | f.Mode, 1), RockRidge.Tf(_utc), RockRidge.Nm(f.Name) }))));
            records.AddRange(children.OrderBy(c => c.id, StringComparer.Ordinal).Select(c => c.record));
            return records;
        }

        private static uint Links(IsoDirectory d) => (uint)(2 + d.Directories.Count);

        // One directory record (ECMA-119 9.1) with its system-use area.
        private byte[] Record(byte[] id, uint extent, uint size, bool isDirectory, byte[] systemUse)
        {
            var pad = id.Length % 2 == 0 ? 1 : 0;
            var length = 33 + id.Length + pad + systemUse.Length;
            if (length % 2 == 1) length++;
            if (length > 255) throw new ArgumentException($"A directory record would be {length} bytes (max 255); shorten the file name.");
            var r = new byte[length];
            r[0] = (byte)length;
            r[1] = 0;
            IsoEncoding.BothEndian32(r, 2, extent);
            IsoEncoding.BothEndian32(r, 10, size);
            IsoEncoding.ShortDate(r, 18, _utc);
            r[25] = (byte)(isDirectory ? 0x02 : 0x00);
            IsoEncoding.BothEndian16(r, 28, 1);
            r[32] = (byte)id.Length;
            Buffer.BlockCopy(id, 0, r, 33, id.Length);
            Buffer.BlockCopy(systemUse, 0, r, 33 + id.Length + pad, systemUse.Length);
            return r;
        }

        // Records laid into sectors; a record never crosses a sector boundary.
        private static byte[] Pack(List<byte[]> records)
        {
            var output = new List<byte>();
            foreach (var r in records)
            {
                var used = output.Count % S;
                if (used + r.Length > S) output.AddRange(new byte[S - used]);
                output.AddRange(r);
            }
            var tail = output.Count % S;
            if (tail != 0) output.AddRange(new byte[S - tail]);
            return output.ToArray();
        }

        private static int PathTableRecordSize(IsoDirectory d)
        {
            var idLength = d.IsRoot ? 1 : d.IsoId.Length;
            return 8 + idLength + (idLength % 2);
        }

        private static void WritePathTable(byte[] image, int at, List<IsoDirectory> dirs, bool bigEndian)
        {
            foreach (var d in dirs)
            {
                var id = d.IsRoot ? new byte[] { 0 } : Encoding.ASCII.GetBytes(d.IsoId);
                image[at] = (byte)id.Length;
                image[at + 1] = 0;
                var parentNumber = (ushort)(d.Parent ?? d).Number;
                if (bigEndian)
                {
                    IsoEncoding.Big32(image, at + 2, d.Extent);
                    IsoEncoding.Big16(image, at + 6, parentNumber);
                }
                else
                {
                    IsoEncoding.Little32(image, at + 2, d.Extent);
                    IsoEncoding.Little16(image, at + 6, parentNumber);
                }
                Buffer.BlockCopy(id, 0, image, at + 8, id.Length);
                at += PathTableRecordSize(d);
            }
        }

        private void WritePrimaryDescriptor(byte[] image, uint totalSectors, uint pathTableSize, uint lPathTable, uint mPathTable)
        {
            var b = new byte[S];
            b[0] = 1;
            Encoding.ASCII.GetBytes("CD001", 0, 5, b, 1);
            b[6] = 1;
            IsoEncoding.Text(b, 8, 32, "");
            IsoEncoding.Text(b, 40, 32, _volumeId);
            IsoEncoding.BothEndian32(b, 80, totalSectors);
            IsoEncoding.BothEndian16(b, 120, 1);
            IsoEncoding.BothEndian16(b, 124, 1);
            IsoEncoding.BothEndian16(b, 128, S);
            IsoEncoding.BothEndian32(b, 132, pathTableSize);
            IsoEncoding.Little32(b, 140, lPathTable);
            IsoEncoding.Big32(b, 148, mPathTable);
            var rootRecord = RootRecordForDescriptor();
            Buffer.BlockCopy(rootRecord, 0, b, 156, rootRecord.Length);
            IsoEncoding.Text(b, 190, 128, "");
            IsoEncoding.Text(b, 318, 128, "");
            IsoEncoding.Text(b, 446, 128, "");
            IsoEncoding.Text(b, 574, 128, "DFVM PFI DISC");
            IsoEncoding.Text(b, 702, 37, "");
            IsoEncoding.Text(b, 739, 37, "");
            IsoEncoding.Text(b, 776, 37, "");
            IsoEncoding.LongDate(b, 813, _utc);
            IsoEncoding.LongDate(b, 830, _utc);
            IsoEncoding.LongDate(b, 847, null);
            IsoEncoding.LongDate(b, 864, _utc);
            b[881] = 1;
            Buffer.BlockCopy(b, 0, image, 16 * S, S);
        }

        private byte[] RootRecordForDescriptor()
        {
            var r = new byte[34];
            r[0] = 34;
            IsoEncoding.BothEndian32(r, 2, _root.Extent);
            IsoEncoding.BothEndian32(r, 10, _root.SizeBytes);
            IsoEncoding.ShortDate(r, 18, _utc);
            r[25] = 0x02;
            IsoEncoding.BothEndian16(r, 28, 1);
            r[32] = 1;
            r[33] = 0;
            return r;
        }

        private static void WriteTerminator(byte[] image, int at)
        {
            image[at] = 255;
            Encoding.ASCII.GetBytes("CD001", 0, 5, image, at + 1);
            image[at + 6] = 1;
        }
    }
}

using System;
using System.IO;

namespace DfVm.Core.Util
{
    /// <summary>Tells a write that failed for want of space (ENOSPC, EDQUOT) from other I/O errors.</summary>
    public static class DiskFull
    {
        public static bool Is(IOException e) =>
            e.HResult == 28 || e.HResult == 122 ||
            (e.Message ?? "").IndexOf("No space left", StringComparison.OrdinalIgnoreCase) >= 0 ||
            (e.Message ?? "").IndexOf("quota exceeded", StringComparison.OrdinalIgnoreCase) >= 0;
    }
}

using System;
using System.Text.RegularExpressions;

namespace DfVm.Core.Snapshots
{
    /// <summary>Snapshot names: the VM-name rule (they become file names), and the default timestamp name.</summary>
    public static class SnapshotNames
    {
        private static readonly Regex Valid = new Regex(@"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}\z", RegexOptions.CultureInvariant);

        public static bool IsValid(string name) => !string.IsNullOrEmpty(name) && Valid.IsMatch(name);

        public static void Validate(string name, string vmName)
        {
            if (!IsValid(name))
            {
                throw new DfVmException(ErrorIds.InvalidSnapshotName, DfVmErrorKind.InvalidArgument,
                    $"'{name}' is not a valid snapshot name: use 1-63 letters, digits, '-' or '_', starting with a letter or digit (no path separators, no '..', no line breaks).",
                    vmName);
            }
        }

        /// <summary>"&lt;vm&gt;-yyyyMMdd-HHmmss" (local time), e.g. dfly-20261126-143005.</summary>
        public static string Default(string vmName, DateTime localTime)
        {
            string stamp = localTime.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture);
            string prefix = vmName.Length > 63 - stamp.Length - 1 ? vmName.Substring(0, 63 - stamp.Length - 1) : vmName;
            return prefix + "-" + stamp;
        }
    }
}

namespace DfVm.Core.Install
{
    /// <summary>Stable error ids of Import-DfVm (an existing disk made into a DfVm VM).</summary>
    public static class ImportErrorIds
    {
        /// <summary>The guest refused the password or key the user gave for the first login.</summary>
        public const string GuestLoginFailed = nameof(GuestLoginFailed);

        /// <summary>The image did not boot to an SSH banner within the timeout (or QEMU ended first).</summary>
        public const string ImportBootTimeout = nameof(ImportBootTimeout);

        /// <summary>Another QEMU (a running VM) holds the image open for writing.</summary>
        public const string ImageInUse = nameof(ImageInUse);

        /// <summary>The image is not qcow2 or raw (qemu-img info says which format it is).</summary>
        public const string ImageFormatNotSupported = nameof(ImageFormatNotSupported);

        /// <summary>-CleanImage names the image itself (the clean copy must be a file of its own).</summary>
        public const string CleanImageInvalid = nameof(CleanImageInvalid);
    }
}

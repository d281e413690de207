namespace DfVm
{
    /// <summary>Which DragonFly release medium: the installer CD or the USB/disk image.</summary>
    public enum ImageKind
    {
        Iso,
        Img,
    }
}

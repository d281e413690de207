using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using DfVm.Core;
using DfVm.Core.Instances;

namespace DfVm.PowerShell
{
    internal static class VmNameResolver
    {
        /// <summary>
        /// Expands names (wildcards allowed) against the store. A literal name that matches
        /// nothing gives a VmNotFound error through <paramref name="onMissing"/>.
        /// </summary>
        public static List<string> Expand(VmStore store, IEnumerable<string> names, System.Action<DfVmException> onMissing)
        {
            var all = store.List();
            var result = new List<string>();
            foreach (var name in names)
            {
                if (WildcardPattern.ContainsWildcardCharacters(name))
                {
                    var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
                    result.AddRange(all.Where(n => pattern.IsMatch(n) && !result.Contains(n)));
                    continue;
                }
                if (store.Exists(name))
                {
                    if (!result.Contains(name)) result.Add(name);
                }
                else
                {
                    try { store.Require(name); }
                    catch (DfVmException e) { onMissing(e); }
                }
            }
            return result;
        }
    }
}

using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;

namespace DfVm.PowerShell
{
    /// <summary>
    /// Turns what is piped into -Name into VM names: a string stays as it is; any other object gives
    /// its VmName property (a DfVmSnapshot, DfVmCommandResult, DfVmTestResult: the VM it belongs to,
    /// never the snapshot's own name), else its Name property (a DfVm). Deserialized objects
    /// (Import-Clixml, Receive-Job) carry the same properties, so they bind the same way.
    /// </summary>
    internal sealed class VmNameTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            object value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
            if (value == null || value is string) return value;
            if (value is IEnumerable list && !(value is IDictionary))
            {
                var names = new List<object>();
                foreach (object item in list) names.Add(One(item));
                return names.ToArray();
            }
            return One(inputData);
        }

        private static object One(object item)
        {
            if (item == null) return null;
            var ps = PSObject.AsPSObject(item);
            if (ps.BaseObject is string s) return s;
            var property = ps.Properties["VmName"] ?? ps.Properties["Name"];
            return property != null ? property.Value : item;
        }
    }
}

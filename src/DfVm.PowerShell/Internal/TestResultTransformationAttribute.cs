using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;

namespace DfVm.PowerShell
{
    /// <summary>
    /// Lets a test result that went through serialization bind as a DfVmTestResult again: the
    /// property bags Import-Clixml and Receive-Job give (type name Deserialized.DfVm.DfVmTestResult)
    /// and the PSCustomObjects of ConvertFrom-Json are read by property name into the same row.
    /// </summary>
    internal sealed class TestResultTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            object value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
            if (value == null || value is DfVmTestResult) return value;
            if (value is IEnumerable list && !(value is string) && !(value is IDictionary))
            {
                var rows = new List<object>();
                foreach (object item in list) rows.Add(One(item));
                return rows.ToArray();
            }
            return One(inputData);
        }

        private static object One(object item)
        {
            if (item == null) return null;
            var ps = PSObject.AsPSObject(item);
            if (ps.BaseObject is DfVmTestResult live) return live;
            // Only bags that look like a test row; anything else is left for the binder to refuse.
            if (ps.Properties["Package"] == null || ps.Properties["Result"] == null) return item;
            var row = new DfVmTestResult(
                Text(ps, "Suite"),
                Text(ps, "Package"),
                Text(ps, "Test"),
                Enum<DfVmTestOutcome>(ps, "Result"),
                Enum<DfVmTestResultKind>(ps, "Kind"),
                Duration(Value(ps, "Duration")),
                Value(ps, "Elapsed") == null ? (double?)null : LanguagePrimitives.ConvertTo<double>(Value(ps, "Elapsed")),
                Text(ps, "Output"),
                Text(ps, "Reason"),
                Value(ps, "Cached") != null && LanguagePrimitives.IsTrue(Value(ps, "Cached")),
                Time(Value(ps, "StartTime")));
            string vm = Text(ps, "VmName");
            string version = Text(ps, "DragonFlyVersion");
            return vm == null && version == null ? row : row.WithVm(vm, version);
        }

        private static object Value(PSObject ps, string name)
        {
            object v = ps.Properties[name]?.Value;
            return v is PSObject p && !(p.BaseObject is PSCustomObject) ? p.BaseObject : v;
        }

        private static string Text(PSObject ps, string name) => Value(ps, name)?.ToString();

        private static T Enum<T>(PSObject ps, string name) where T : struct
        {
            object v = Value(ps, name);
            if (v == null) return default(T);
            // Clixml keeps an enum as its number with the name as its text; JSON as the number; both convert.
            if (v is PSObject p) v = p.ToString();
            return LanguagePrimitives.ConvertTo<T>(v);
        }

        private static TimeSpan Duration(object v)
        {
            if (v == null) return TimeSpan.Zero;
            if (v is TimeSpan t) return t;
            if (v is string s) return TimeSpan.Parse(s, CultureInfo.InvariantCulture);
            var bag = PSObject.AsPSObject(v); // ConvertTo-Json writes a TimeSpan as its parts: Ticks is exact
            if (bag.Properties["Ticks"] != null) return TimeSpan.FromTicks(LanguagePrimitives.ConvertTo<long>(bag.Properties["Ticks"].Value));
            return LanguagePrimitives.ConvertTo<TimeSpan>(v);
        }

        private static DateTimeOffset? Time(object v)
        {
            switch (v)
            {
                case null: return null;
                case DateTimeOffset o: return o;
                case DateTime d: return new DateTimeOffset(d);
                case string s: return DateTimeOffset.Parse(s, CultureInfo.InvariantCulture);
                default:
                    var bag = PSObject.AsPSObject(v); // a deserialized DateTimeOffset is a bag of its parts
                    if (bag.Properties["UtcDateTime"] != null)
                        return new DateTimeOffset(DateTime.SpecifyKind(LanguagePrimitives.ConvertTo<DateTime>(bag.Properties["UtcDateTime"].Value), DateTimeKind.Utc));
                    return LanguagePrimitives.ConvertTo<DateTimeOffset>(v);
            }
        }
    }
}

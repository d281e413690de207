using System.Linq;
using System.Reflection;
using Xunit;

namespace DfVm.Core.Tests
{
    public class ProgressActivitiesTests
    {
        [Fact]
        public void EveryActivityHasItsOwnId()
        {
            var ids = typeof(ProgressActivities).GetFields(BindingFlags.Public | BindingFlags.Static)
                .Where(f => f.IsLiteral).Select(f => (Name: f.Name, Id: (int)f.GetRawConstantValue())).ToList();
            Assert.True(ids.Count >= 9);
            var shared = ids.GroupBy(x => x.Id).Where(g => g.Count() > 1).Select(g => string.Join(", ", g.Select(x => x.Name))).ToList();
            Assert.True(shared.Count == 0, "activities sharing an id: " + string.Join("; ", shared));
            Assert.DoesNotContain(ids, x => x.Id <= 1); // 1 is OperationProgress's default, 0 PowerShell's own
        }
    }
}
